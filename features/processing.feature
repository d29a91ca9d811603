Feature: Processing: when the system calls the extension and what the extension answers
  The system owns the uploads and decides when to call the extension: when there is work and the
  network, power and device allow it, again after a `.processing` answer, after a library change once
  the extension answered `.completed`, and later (with backoff) after `.failure` or a kill. Each call
  ends with one result and should move the work forward by a bounded step. Developer Mode (27) relaxes
  the scheduling only. Paraphrased from Apple's article and the result and protocol pages
  (rules-digest.md section 3.4); the timings used below are the field defaults of AMB-17 and AMB-18.

  @must @system @src:ART
  Rule: PRO-01 The system carries out the uploads itself, in the background, whatever the app is doing
    The model has no foreground or lock state; the scenario checks that registered jobs are uploaded
    while the extension is not being called at all.

    Scenario: Registered jobs are uploaded while the extension sits idle
      Given the library holds a photo "beach"
      And the library holds a photo "dinner"
      And the upload extension is enabled
      And the system has made its first processing call
      And job "beach" is registered
      And job "dinner" is registered
      When 1 minute passes
      Then job "beach" is succeeded
      And job "dinner" is succeeded
      And the server received "beach" 1 time
      And the system made 1 processing call

  @must @system @src:ART
  Rule: PRO-02 The system calls the extension when there is upload work and the network, power and device allow it

    Scenario: No processing call while the network is unavailable
      Given the library holds 3 photos
      And the network is unavailable
      And the upload extension is enabled
      Then the system does not call the extension within 2 hours

    Scenario: The processing call follows once the network is back
      Given the library holds 3 photos
      And the network is unavailable
      And the upload extension is enabled
      When the network becomes Wi-Fi
      Then the system calls the extension within 1 minute

    Scenario: No processing call while power conditions forbid background work
      Given the library holds 3 photos
      And power conditions do not allow background work
      And the upload extension is enabled
      Then the system does not call the extension within 2 hours

    Scenario: The processing call follows once power conditions allow it again
      Given the library holds 3 photos
      And power conditions do not allow background work
      And the upload extension is enabled
      When power conditions allow background work again
      Then the system calls the extension within 1 minute

  @must @app @src:D-EXT-P @src:D-JEXT-P
  Rule: PRO-03 Every processing call ends with exactly one result describing where the work stands

    Scenario Outline: The answer to a first call reflects a library of <count> photos
      Given the library holds <count> photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the processing call ended without being killed
      And the app returns <result>

      Examples:
        | count | result      |
        | 0     | .completed  |
        | 2     | .processing |

  @must @src:D-RES @src:ART
  Rule: PRO-04 .completed means nothing is left to do; the system then watches the library for changes

    @system
    Scenario: After .completed the system waits for a library change
      Given the library holds 2 photos
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system does not call the extension within 6 hours

    @system @assume:AMB-17=field
    Scenario: A new photo after .completed brings a processing call
      Given the upload extension is enabled
      And the system has made its first processing call
      When the user takes a photo "new"
      Then the system calls the extension within 10 seconds

    @system @assume:AMB-17=field
    Scenario: A deleted photo after .completed brings a processing call
      Given the library holds a photo "old"
      And the upload extension is enabled
      And the system has made its first processing call
      When the user deletes "old"
      Then the system calls the extension within 10 seconds

    @app
    Scenario: The app answers .completed once every photo is uploaded and acknowledged
      Given the library holds 3 photos
      And the user turned on backup in the app
      When 1 hour passes
      Then the app returns .completed
      And no job is left unacknowledged
      And every photo is uploaded exactly once and recorded by the app

    @app
    Scenario: A photo taken after the backup completed is picked up on the next call
      Given the library holds 2 photos
      And the app has finished backing up the library
      When the user takes a photo "new"
      And 1 minute passes
      Then the server received "new" 1 time
      And the app recorded "new" as uploaded
      And the app returns .completed

  @must @system @src:D-RES @src:ART
  Rule: PRO-05 .processing asks for more time, and the system calls the extension again

    @assume:AMB-17=field
    Scenario: After .processing the system calls again without any library change
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system calls the extension within 10 minutes

    @assume:AMB-17=field
    Scenario: The system keeps calling an extension that keeps answering .processing
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      When 1 hour passes
      Then the system made at least 10 processing calls

  @should @app @src:ART
  Rule: PRO-06 The extension answers .processing while the first backup still has photos to send and after creating jobs

    Scenario: After creating jobs the app answers .processing
      Given the library holds 3 photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the app created 3 upload jobs
      And the app returns .processing

    Scenario: Through a first backup larger than the jobLimit the app answers .processing until it is done
      Given the library holds 120 photos
      And the user turned on backup in the app
      When 1 hour passes
      Then the app answered .processing to every processing call before the last
      And the app returns .completed
      And every photo is uploaded exactly once and recorded by the app

  @may @system @src:D-RES @src:ART
  Rule: PRO-07 .failure reports an unrecoverable error; the system may call the extension again later

    Scenario: After .failure the system calls again later
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system calls the extension within 1 hour

    Scenario: A .failure answer leaves the feature enabled and its jobs uploading
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And the system has made its first processing call
      And job "kept" is registered
      When 1 minute passes
      Then the upload extension is enabled
      And job "kept" is succeeded

  @should @app @src:ART
  Rule: PRO-08 The extension answers .processing only from a call that moved the work forward

    Scenario: Calls with nothing to do are not answered with .processing
      Given the library holds 2 photos
      And the app has finished backing up the library
      When the system makes 3 processing calls
      Then the app answered .completed to each of the last 3 processing calls
      And the app created 2 upload jobs

  @should @app @src:ART
  Rule: PRO-09 A processing call retries failed jobs first, then acknowledges finished ones, then creates new jobs

    Scenario: Retrying, acknowledging and creating happen in that order within each call
      Given the library holds 60 photos
      And the upload of "photo-1" will fail with a timeout
      And the user turned on backup in the app
      When 1 hour passes
      Then within each processing call the app retried before it acknowledged, and acknowledged before it created jobs
      And one processing call went through retrying, acknowledging and creating jobs
      And the server saw 2 upload attempts of "photo-1"
      And every photo is uploaded exactly once and recorded by the app

  @should @app @src:ART
  Rule: PRO-10 When the jobLimit refuses new jobs, the extension answers .processing and waits for room

    Scenario: A limitExceeded refusal is answered with .processing
      Given the library holds 2 photos
      And the user turned on backup in the app
      And every slot under the jobLimit is held by a job for a photo the user has since deleted
      When the system makes a processing call
      Then the system refused a change block of the app with limitExceeded
      And the app returns .processing

    Scenario: Once slots free up the app uploads the photos the limit held back
      Given the library holds 2 photos
      And the user turned on backup in the app
      And every slot under the jobLimit is held by a job for a photo the user has since deleted
      When 1 hour passes
      Then the server received "photo-1" 1 time
      And the server received "photo-2" 1 time
      And the app recorded "photo-2" as uploaded
      And no job is left unacknowledged

  @should @app @src:ART
  Rule: PRO-11 On an expired change token the extension drops the token, answers .processing and syncs afresh later

    Scenario: An expired change token is answered with .processing
      Given the library holds 2 photos
      And the app has finished backing up the library
      And the library holds a photo "late"
      And the library's change history was pruned
      When the system makes a processing call
      Then the app returns .processing

    Scenario: After an expired change token the app re-syncs without uploading anything twice
      Given the library holds 2 photos
      And the app has finished backing up the library
      And the library holds a photo "late"
      And the library's change history was pruned
      When 1 hour passes
      Then every photo is uploaded exactly once and recorded by the app
      And the app did not ask for changes since the expired token again

  @should @app @src:ART
  Rule: PRO-12 Any other error is logged and answered with .failure

    @assume:AMB-25=reject-at-creation
    Scenario: A job creation refused for a destination outside the URL base is answered with .failure
      Given the app's extension declares BackgroundUploadURLBase "https://elsewhere.example.net/"
      And the library holds 2 photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the app returns .failure

  @may @since:27.0 @src:ART @src:D-JEXT-P
  Rule: PRO-13 processJobs is asynchronous but may return without ever suspending

    @system
    Scenario: A processJobs that never suspends is taken as a complete answer
      Given the upload extension is enabled
      When the system makes a processing call
      Then the processing call ended without being killed
      And the app returns .completed

  @must @system @src:ART
  Rule: PRO-14 Outside Developer Mode each call has a runtime limit and scheduling backs off between attempts

    @assume:AMB-18=60s
    Scenario: A call that runs past the runtime limit is killed
      Given the upload extension is enabled
      And the extension works for 90 seconds in every processing call
      When the system makes a processing call
      Then the processing call was killed

    @assume:AMB-18=60s
    Scenario: A call that stays under the runtime limit is not killed
      Given the upload extension is enabled
      And the extension works for 30 seconds in every processing call
      When the system makes a processing call
      Then the processing call ended without being killed

    @assume:AMB-17=field
    Scenario: After .failure the next call waits out a backoff
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system does not call the extension within 5 minutes
      And the system calls the extension within 10 minutes

    @assume:AMB-17=field
    Scenario: The backoff grows with repeated failures
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      When 30 minutes pass
      Then the system made 3 processing calls
      And the gaps between the processing calls grow

    @assume:AMB-17=field @assume:AMB-18=60s
    Scenario: After a killed call the next call waits out a backoff
      Given the extension works for 90 seconds in every processing call
      And the upload extension is enabled
      And the system has made its first processing call
      Then the processing call was killed
      And the system does not call the extension within 5 minutes
      And the system calls the extension within 10 minutes

  @should @app @src:ART
  Rule: PRO-15 Each call stays inside the runtime limit and moves the work forward one bounded step

    Scenario: A large first backup is spread over calls that each finish in time
      Given the library holds 500 photos
      And the user turned on backup in the app
      When 2 hours pass
      Then no processing call was killed
      And no processing call created more upload jobs than the jobLimit
      And every photo is uploaded exactly once and recorded by the app

  @should @app @untestable @src:ART
  Rule: PRO-16 The extension keeps its memory use low, since the system may end an extension that uses too much
    Untestable: the contracts model no memory use; an extension's footprint and the system's memory
    kill can only be measured on a device (Instruments, jetsam reports).

  @must @system @src:D-JOB @src:FORUM-818566
  Rule: PRO-17 The system performs the transfer from the job's resource and destination; the extension only manages jobs

    Scenario: A job reaches its destination without any help from the extension
      Given the library holds a photo "trip"
      And the upload extension is enabled
      And the system has made its first processing call
      When the app creates an upload job for "trip" with destination "https://backup.example.com/upload/trip"
      And 1 minute passes
      Then the server received "trip" 1 time
      And the last upload of "trip" went to "https://backup.example.com/upload/trip"
      And the last upload of "trip" was sent with the original credentials
      And the system made 1 processing call

    Scenario: Uploads go on while the extension answers .failure
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And 2 upload jobs are registered
      When 1 minute passes
      Then job "job-1" is succeeded
      And job "job-2" is succeeded

  @must @src:ART
  Rule: PRO-18 A fetch result is read through its count and by index, not walked as a Swift sequence
    PHFetchResult is not a Sequence, so app code walks it by index; the suite checks the SYSTEM side of
    that contract: a fetch result offers a count and gives each job by its index.

    @system
    Scenario: A fetch result gives each job by its index
      Given the upload extension is enabled
      And 3 upload jobs are succeeded
      Then fetching jobs to acknowledge gives 3 jobs readable by index

  @must @system @since:27.0 @src:ART
  Rule: PRO-19 Developer Mode lifts the runtime limit, skips the backoff and schedules the extension sooner

    Scenario: With Developer Mode a long call is not killed
      Given Developer Mode is on
      And the upload extension is enabled
      And the extension works for 90 seconds in every processing call
      When the system makes a processing call
      Then the processing call ended without being killed

    Scenario: With Developer Mode a .failure is followed by a prompt call
      Given Developer Mode is on
      And the extension answers every processing call with .failure
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system calls the extension within 10 seconds

    @assume:AMB-17=field
    Scenario: With Developer Mode a .processing answer is followed by a prompt call
      Given Developer Mode is on
      And the extension answers every processing call with .processing
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system calls the extension within 10 seconds

  @must @system @untestable @since:27.0 @src:ART
  Rule: PRO-20 Developer Mode applies only to host app and extension built and run from Xcode with development signing
    Untestable: code signing, provisioning profiles and launching from Xcode are properties of a device
    build; the contracts turn Developer Mode on directly and cannot see how the app was built.

  @must @system @since:27.0 @src:ART
  Rule: PRO-21 Developer Mode changes when the extension runs, not how the uploads themselves go

    Scenario: With Developer Mode a server error still fails the job
      Given Developer Mode is on
      And the upload extension is enabled
      And the upload of "busy" will fail with HTTP 503
      And job "busy" is registered
      When 1 minute passes
      Then job "busy" is failed

    Scenario: With Developer Mode nothing is uploaded without a network
      Given Developer Mode is on
      And the network is unavailable
      And the upload extension is enabled
      And job "offline" is registered
      When 1 hour passes
      Then the server received no upload
      And job "offline" is registered

  @should @app @src:ART
  Rule: PRO-22 Extensions are also tried with Developer Mode off, under the normal limits
    The suite runs every @app scenario with Developer Mode off unless it turns it on; this one checks
    that a backup gets done under the runtime limit and the normal delays, with one upload failing.

    Scenario: The app completes its backup under normal scheduling
      Given the library holds 60 photos
      And the upload of "photo-7" will fail with a timeout
      And the user turned on backup in the app
      When 6 hours pass
      Then no processing call was killed
      And every photo is uploaded exactly once and recorded by the app
