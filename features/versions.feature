Feature: API versions: what each release of the upload API offers
  iOS 26.1 introduced the feature on iOS only; 26.4 added creation requests, download-only jobs,
  cancel() and the job's type, response headers and error; 26.5 added the process action; 27.0 added
  the asynchronous extension protocol, the enable/disable/options calls, the resource lookup, Developer
  Mode, and brought the job API to macOS. Outside the profiles where it exists a call fails with an
  API-unavailable error; deprecated calls keep working. Paraphrased from the SDK headers, Apple's
  availability metadata and the dotnet/macios header diffs (rules-digest.md section 3.12).

  @must @src:H26.1-J @src:H26.1-CR @src:H26.1-T @src:H26.1-L
  Rule: VER-01 The 26.1 API is the extension protocol, the job class with its change request, the enabled flag and setter, and limitExceeded, on iOS only

    @platform:ios @system
    Scenario Outline: The 26.1 call <api> works in every iOS profile
      Given the upload extension is enabled
      And job "done" is succeeded
      And job "broken" is failed
      And job "queued" is registered
      When the app calls <api>
      Then it succeeds

      Examples:
        | api                                |
        | jobLimit                           |
        | fetchJobs(.acknowledge)            |
        | fetchJobs(.retry)                  |
        | uploadJobExtensionEnabled          |
        | setUploadJobExtensionEnabled(true) |
        | createJob(destination:resource:)   |
        | init(for:)                         |
        | acknowledge()                      |
        | retry(destination:)                |
        | resource                           |

    @platform:ios @until:26.5 @system
    Scenario: A 26.x system calls the synchronous process() entry point
      Given the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      Then the system calls the extension within the patience horizon
      And the system sent the extension 1 termination notice
      And the system used its profile's protocol for every processing call and notice

    @app @platform:macos
    Scenario: Through a whole backup the app calls nothing of the iOS-only API on macOS
      Given the library holds 3 photos
      And the library holds a Live Photo "live"
      And the upload of "photo-2" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app called none of the iOS-only APIs

  @must @src:H27-CR @src:H27-J @src:D-CR-CANCEL
  Rule: VER-02 26.4 adds creation requests with placeholders, download-only jobs, cancel(), the cancelled state and the job's type, response headers and error

    @until:26.1 @system
    Scenario Outline: <api> does not exist before 26.4
      Given the upload extension is enabled
      And job "done" is succeeded
      And job "broken" is failed
      And job "queued" is registered
      When the app calls <api>
      Then it fails with an API-unavailable error

      Examples:
        | api                                          |
        | creationRequestForJob(destination:resource:) |
        | creationRequestForDownloadJob(resource:)     |
        | placeholderForCreatedAssetResourceUploadJob  |
        | cancel()                                     |
        | type                                         |
        | responseHeaderFields                         |
        | error                                        |

    @since:26.4 @system
    Scenario Outline: <api> works from 26.4 on
      Given the upload extension is enabled
      And job "done" is succeeded
      And job "broken" is failed
      And job "queued" is registered
      When the app calls <api>
      Then it succeeds

      Examples:
        | api                                          |
        | creationRequestForJob(destination:resource:) |
        | creationRequestForDownloadJob(resource:)     |
        | placeholderForCreatedAssetResourceUploadJob  |
        | cancel()                                     |
        | type                                         |
        | responseHeaderFields                         |
        | error                                        |

    @app @until:26.1
    Scenario: Through a whole backup the app calls nothing that 26.4 added
      Given the library holds 3 photos
      And the library holds a Live Photo "live"
      And the upload of "photo-2" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app called none of the APIs 26.4 added

  @must @src:H27-T @src:DOTNET-26.5
  Rule: VER-03 26.5 adds the process action, which selects registered and pending jobs

    @until:26.4 @system
    Scenario: Fetching jobs to process does not exist before 26.5
      Given the upload extension is enabled
      And job "queued" is registered
      When the app calls fetchJobs(.process)
      Then it fails with an API-unavailable error

    @since:26.5 @system
    Scenario: From 26.5 fetching jobs to process returns the registered and pending jobs
      Given the upload extension is enabled
      And job "queued" is registered
      And job "sending" is pending
      And job "done" is succeeded
      And job "broken" is failed
      When the app calls fetchJobs(.process)
      Then it succeeds
      And fetching jobs to process returns "queued" and "sending"

    @app @until:26.4
    Scenario: Through a whole backup the app calls nothing that 26.5 added
      Given the library holds 3 photos
      And the library holds a Live Photo "live"
      And the upload of "photo-2" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app called none of the APIs 26.5 added

  @must @src:H27-L @src:H27-O @src:H27-AR @src:D-JEXT @src:ART
  Rule: VER-04 27.0 adds the async extension protocol, enable/disable with options, the resource lookup and Developer Mode, and brings the job API to macOS

    @until:26.5 @system
    Scenario Outline: The 27 call <api> does not exist on 26.x
      Given the upload extension is enabled
      And job "done" is succeeded
      When the app calls <api>
      Then it fails with an API-unavailable error

      Examples:
        | api                              |
        | enableUploadJobExtension(with:)  |
        | disableUploadJobExtension()      |
        | uploadJobExtensionOptions        |
        | setUploadJobExtensionOptions(_:) |
        | assetResource(forUploadJob:)     |

    @since:27.0 @system
    Scenario Outline: The 27 call <api> works from 27.0 on
      Given the upload extension is enabled
      And job "done" is succeeded
      When the app calls <api>
      Then it succeeds

      Examples:
        | api                              |
        | enableUploadJobExtension(with:)  |
        | disableUploadJobExtension()      |
        | uploadJobExtensionOptions        |
        | setUploadJobExtensionOptions(_:) |
        | assetResource(forUploadJob:)     |

    @until:26.5 @system
    Scenario: Developer Mode cannot be switched on before 27.0
      When the user switches on Developer Mode
      Then it fails with an API-unavailable error

    @since:27.0 @system
    Scenario: Developer Mode can be switched on from 27.0
      When the user switches on Developer Mode
      Then it succeeds

    @since:27.0 @assume:AMB-27=job-extension-on-27 @system
    Scenario: A 27 system calls the asynchronous processJobs() entry point
      Given the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      Then the system calls the extension within the patience horizon
      And the system sent the extension 1 termination notice
      And the system used its profile's protocol for every processing call and notice

    @platform:macos @system
    Scenario Outline: The job API <api> exists on macOS 27
      Given the upload extension is enabled
      And job "done" is succeeded
      And job "broken" is failed
      And job "queued" is registered
      When the app calls <api>
      Then it succeeds

      Examples:
        | api                              |
        | jobLimit                         |
        | fetchJobs(.acknowledge)          |
        | fetchJobs(.retry)                |
        | fetchJobs(.process)              |
        | uploadJobExtensionEnabled        |
        | createJob(destination:resource:) |
        | init(for:)                       |
        | acknowledge()                    |
        | retry(destination:)              |

    @platform:macos @system
    Scenario Outline: The iOS-only <api> does not exist on macOS
      Given the upload extension is enabled
      And job "done" is succeeded
      When the app calls <api>
      Then it fails with an API-unavailable error

      Examples:
        | api                                |
        | setUploadJobExtensionEnabled(true) |
        | resource                           |

    @app @until:26.5
    Scenario: Through a whole backup the app calls nothing that 27.0 added
      Given the library holds 3 photos
      And the library holds a Live Photo "live"
      And the upload of "photo-2" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app called none of the APIs 27.0 added

  @info @system @platform:ios @src:D-RSRC @src:H27-J
  Rule: VER-05 Apple's availability metadata ends the job's resource property at 27.2, its formal deprecation
    No 27.2 profile exists yet; until then the deprecated property keeps answering on iOS and agrees with
    its replacement, assetResource(forUploadJob:).

    @since:27.0
    Scenario: On iOS 27.0 the deprecated resource still agrees with assetResource(forUploadJob:)
      Given the upload extension is enabled
      And job "still-described" is registered
      Then the resource of job "still-described" matches its assetResource(forUploadJob:) lookup

  @must @system @src:H26.1-J @src:H26.1-T @src:H26.2 @src:H27-T
  Rule: VER-06 Header wording changed between 26.1 and 26.5 but the meaning did not: the jobLimit counts registered, pending, succeeded and failed jobs, and retry offers only jobs not retried before

    Scenario Outline: In every profile a <state> job takes a slot under the jobLimit
      Given the upload extension is enabled
      And all but 1 slot under the jobLimit are held by <state> jobs
      Then exactly 1 more upload jobs fit under the jobLimit

      Examples:
        | state      |
        | registered |
        | pending    |
        | succeeded  |
        | failed     |

    Scenario: In every profile a job that failed after its retry is offered only for acknowledging
      Given the upload extension is enabled
      And job "spent-retry" failed again after its one retry
      Then fetching jobs to retry returns no job
      And fetching jobs to acknowledge returns "spent-retry"

    Scenario: In every profile a freshly failed job is offered for retry
      Given the upload extension is enabled
      And job "first-failure" is failed
      Then fetching jobs to retry returns "first-failure"
