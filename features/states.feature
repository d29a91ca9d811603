Feature: Job states and fetching jobs by action
  Every upload job moves through a small life cycle: registered, possibly pending while it is being sent,
  then succeeded or failed; from 26.4 a job still in flight can also be cancelled. The app never asks for
  "all jobs": it fetches the jobs one action can be applied to (acknowledge, retry, and from 26.5
  process), so each set follows the states exactly. Finished jobs expose the server's response headers
  and a sanitised URL error (26.4), and an acknowledged job is gone from PhotoKit for good. Paraphrased
  from the job class, State and Action pages, the SDK headers and the article (rules-digest.md
  section 3.6).

  @must @system @src:D-STATE @src:H27-T
  Rule: STA-01 A job is registered, then pending while it is sent, then succeeded or failed; from 26.4 it may instead be cancelled

    Scenario: A newly created job starts out registered
      Given the upload extension is enabled
      When the app creates an upload job for "fresh"
      Then it succeeds
      And job "fresh" is registered

    Scenario: A job whose transfer has begun is pending
      Given the upload extension is enabled
      And job "sending" is registered
      When the system starts the upload of job "sending"
      Then job "sending" is pending

    Scenario: A pending job the server accepted is succeeded
      Given the upload extension is enabled
      And job "accepted" is pending
      When the upload of job "accepted" ends with success
      Then job "accepted" is succeeded

    Scenario: A pending job whose send broke off is failed
      Given the upload extension is enabled
      And job "dropped" is pending
      When the upload of job "dropped" ends with a lost connection
      Then job "dropped" is failed

    Scenario: A registered job left alone runs through to succeeded
      Given the upload extension is enabled
      And job "unattended" is registered
      When the system is given time to finish its work
      Then job "unattended" is succeeded
      And the server received "unattended" 1 time

    @since:26.4
    Scenario: Cancelling ends a registered job's life cycle before it is sent
      Given the upload extension is enabled
      And job "dropped-early" is registered
      When the app cancels job "dropped-early"
      Then it succeeds
      And job "dropped-early" no longer exists
      And fetching jobs to acknowledge returns no job

    @until:26.1
    Scenario: Before 26.4 no job can be moved to the cancelled state
      Given the upload extension is enabled
      And job "no-cancel" is registered
      When the app cancels job "no-cancel"
      Then it fails with an API-unavailable error
      And job "no-cancel" is registered

  @must @system @src:H27-J @src:D-CR-CANCEL
  Rule: STA-02 Succeeded and failed are the end states that carry the server's answer; only cancel() leads to cancelled

    Scenario: A succeeded job stays succeeded and is not sent again
      Given the upload extension is enabled
      And job "settled" is succeeded
      When the system is given time to finish its work
      Then job "settled" is succeeded
      And the server received "settled" 1 time

    Scenario: A failed job stays failed and the system does not retry it on its own
      Given the upload extension is enabled
      And job "left-failed" is failed
      When the system is given time to finish its work
      Then job "left-failed" is failed
      And the server saw 1 upload attempt of "left-failed"

    @since:26.4
    Scenario Outline: An upload answered with HTTP <status> ends <state> and keeps the server's headers
      Given the upload extension is enabled
      And job "answered" is pending
      When the upload of job "answered" ends with HTTP <status> and response header "X-Request-Id" set to "req-<status>"
      Then job "answered" is <state>
      And job "answered" has response header "x-request-id" set to "req-<status>"

      Examples:
        | status | state     |
        | 201    | succeeded |
        | 503    | failed    |

  @must @system @src:D-FETCH
  Rule: STA-03 Fetching by an action returns every job that action can be applied to, and nothing else

    Scenario Outline: Every job fetched to <action> accepts that action
      Given the upload extension is enabled
      And job "queued" is pending
      And job "sent" is succeeded
      And job "broken" is failed
      And job "spent" failed again after its one retry
      When the app applies <action> to every job fetched for it
      Then it succeeds
      And fetching jobs to <action> returns no job

      Examples:
        | action      |
        | acknowledge |
        | retry       |

    @since:26.5
    Scenario: Every job fetched to process can be cancelled
      Given the upload extension is enabled
      And job "queued" is registered
      And job "sending" is pending
      And job "sent" is succeeded
      And job "broken" is failed
      When the app applies process to every job fetched for it
      Then it succeeds
      And fetching jobs to process returns no job
      And fetching jobs to acknowledge returns "sent" and "broken"

    Scenario: A fetch returns all the jobs the action applies to, not just one of them
      Given the upload extension is enabled
      And 3 upload jobs are succeeded
      And job "still-queued" is registered
      Then fetching jobs to acknowledge returns "job-1", "job-2" and "job-3"

  @must @system @src:D-ACT @src:H27-T
  Rule: STA-04 The acknowledge set holds exactly the unacknowledged jobs that have succeeded or failed

    Scenario Outline: The acknowledge set and a <state> job
      Given the upload extension is enabled
      And job "one" is <state>
      Then fetching jobs to acknowledge returns <fetched>

      Examples:
        | state      | fetched |
        | registered | no job  |
        | pending    | no job  |
        | succeeded  | "one"   |
        | failed     | "one"   |

    Scenario: A job whose one retry failed too is still offered for acknowledging
      Given the upload extension is enabled
      And job "spent" failed again after its one retry
      Then fetching jobs to acknowledge returns "spent"

    Scenario: A retried job leaves the acknowledge set while it is sent again
      Given the upload extension is enabled
      And job "again" is failed
      When the app retries job "again" keeping its destination
      Then it succeeds
      And fetching jobs to acknowledge returns no job

    @since:26.4
    Scenario: A cancelled job is never offered for acknowledging
      Given the upload extension is enabled
      And job "called-off" is cancelled
      And job "finished" is succeeded
      Then fetching jobs to acknowledge returns "finished"

  @must @system @src:D-ACT @src:H26.1-T
  Rule: STA-05 The retry set holds exactly the failed jobs that have not been retried before

    Scenario Outline: The retry set and a <state> job
      Given the upload extension is enabled
      And job "one" is <state>
      Then fetching jobs to retry returns <fetched>

      Examples:
        | state      | fetched |
        | registered | no job  |
        | pending    | no job  |
        | succeeded  | no job  |
        | failed     | "one"   |

    Scenario: A job whose one retry failed as well is no longer offered for retrying
      Given the upload extension is enabled
      And job "spent" failed again after its one retry
      And job "first-failure" is failed
      Then fetching jobs to retry returns "first-failure"

    Scenario: A retried job is out of the retry set while it is sent again
      Given the upload extension is enabled
      And job "again" is failed
      When the app retries job "again" keeping its destination
      Then it succeeds
      And fetching jobs to retry returns no job

    Scenario: A job failing for the first time is offered both for retrying and for acknowledging
      Given the upload extension is enabled
      And job "twofold" is failed
      Then fetching jobs to retry returns "twofold"
      And fetching jobs to acknowledge returns "twofold"

    Scenario: Acknowledging a fresh failure takes it out of the retry set as well
      Given the upload extension is enabled
      And job "twofold" is failed
      When the app acknowledges job "twofold"
      Then it succeeds
      And fetching jobs to retry returns no job
      And fetching jobs to acknowledge returns no job

  @must @system @src:D-ACT @src:ART
  Rule: STA-06 From 26.5 the process set holds exactly the registered and pending jobs, the ones that can still be cancelled

    @since:26.5
    Scenario Outline: The process set and a <state> job
      Given the upload extension is enabled
      And job "one" is <state>
      Then fetching jobs to process returns <fetched>

      Examples:
        | state      | fetched |
        | registered | "one"   |
        | pending    | "one"   |
        | succeeded  | no job  |
        | failed     | no job  |

    @since:26.5
    Scenario: A job leaves the process set once its upload has finished
      Given the upload extension is enabled
      And job "moving" is pending
      And job "waiting" is registered
      When the upload of job "moving" ends with success
      Then fetching jobs to process returns "waiting"

    @since:26.5
    Scenario: A retried job is back in the process set
      Given the upload extension is enabled
      And job "again" is failed
      When the app retries job "again" keeping its destination
      Then it succeeds
      And fetching jobs to process returns "again"

    @until:26.4
    Scenario: Before 26.5 there is no process action to fetch by
      Given the upload extension is enabled
      And job "queued" is registered
      When the app fetches jobs to process
      Then it fails with an API-unavailable error

  @must @system @since:26.4 @src:H27-J @src:ART
  Rule: STA-07 A job's response headers appear when it succeeds or fails, under lower-cased names, and are nil before or without an HTTP response

    Scenario Outline: A <state> job has no response headers yet
      Given the upload extension is enabled
      And job "unanswered" is <state>
      Then job "unanswered" has no response headers

      Examples:
        | state      |
        | registered |
        | pending    |

    Scenario: A succeeded job shows the server's headers with lower-cased names
      Given the upload extension is enabled
      And job "named" is pending
      When the upload of job "named" ends with HTTP 201 and response header "X-Server-Id" set to "srv-named"
      Then job "named" has response header "x-server-id" set to "srv-named"
      And the response header names of job "named" are all lower-case

    Scenario: A job failed by the server shows the headers of the error response
      Given the upload extension is enabled
      And job "locked-out" is pending
      When the upload of job "locked-out" ends with HTTP 401 and response header "WWW-Authenticate" set to "Bearer"
      Then job "locked-out" is failed
      And job "locked-out" has response header "www-authenticate" set to "Bearer"
      And the response header names of job "locked-out" are all lower-case

    Scenario: A job that got no HTTP response at all has no headers
      Given the upload extension is enabled
      And job "silent" is pending
      When the upload of job "silent" ends with a timeout
      Then job "silent" is failed
      And job "silent" has no response headers

    Scenario: A retried job no longer shows the headers of its failed attempt
      Given the upload extension is enabled
      And job "second-go" is pending
      When the upload of job "second-go" ends with HTTP 503 and response header "Retry-After" set to "120"
      And the app retries job "second-go" keeping its destination
      Then it succeeds
      And job "second-go" has no response headers

  @must @system @since:26.4 @src:H27-J @src:ART
  Rule: STA-08 A job's error is set exactly when it has failed, as a standard NSURLErrorDomain code

    Scenario Outline: A send that ends with <outcome> leaves the job failed with a URL error
      Given the upload extension is enabled
      And job "troubled" is pending
      When the upload of job "troubled" ends with <outcome>
      Then job "troubled" is failed
      And job "troubled" has an error in NSURLErrorDomain

      Examples:
        | outcome           |
        | a timeout         |
        | a lost connection |
        | HTTP 401          |
        | HTTP 400          |
        | HTTP 503          |

    @assume:AMB-23=digest
    Scenario Outline: A send that ends with <outcome> leaves the job failed with <code>
      Given the upload extension is enabled
      And job "troubled" is pending
      When the upload of job "troubled" ends with <outcome>
      Then job "troubled" is failed
      And job "troubled" has the error <code>

      Examples:
        | outcome           | code                       |
        | a timeout         | timedOut                   |
        | a lost connection | networkConnectionLost      |
        | HTTP 401          | userAuthenticationRequired |
        | HTTP 400          | badServerResponse          |
        | HTTP 503          | badServerResponse          |

    Scenario Outline: A <state> job has no error
      Given the upload extension is enabled
      And job "fine" is <state>
      Then job "fine" has no error

      Examples:
        | state      |
        | registered |
        | pending    |
        | succeeded  |

    Scenario: A retried job carries no error while it is sent again
      Given the upload extension is enabled
      And job "healing" failed with HTTP 503
      When the app retries job "healing" keeping its destination
      Then it succeeds
      And job "healing" has no error

  @may @system @since:26.4 @src:H27-J @src:ART
  Rule: STA-09 The error on a failed job is a sanitised URL error, which need not be the exact error the transfer met
    The MAY concerns how much of the real cause survives; what is checked is the part that is fixed: the
    app sees a URL error in NSURLErrorDomain even when the cause was not a URL-loading failure.

    @assume:AMB-30=failed-retryable
    Scenario: A failed iCloud download still reaches the app as a URL error
      Given the upload extension is enabled
      And job "cloud-only" failed with an iCloud download failure
      Then job "cloud-only" is failed
      And job "cloud-only" has an error in NSURLErrorDomain

    Scenario: A server-side failure reaches the app as a URL error rather than as its HTTP status
      Given the upload extension is enabled
      And job "server-side" failed with HTTP 500
      Then job "server-side" has an error in NSURLErrorDomain

  @must @system @src:H27-J @src:D-DEST @src:D-TYPE
  Rule: STA-10 A job's destination is the request its resource is sent to, and its type tells uploads from download-only jobs

    Scenario: A job keeps the destination the app created it with
      Given the upload extension is enabled
      When the app creates an upload job for "routed" with destination "https://backup.example.com/upload/albums"
      Then it succeeds
      And job "routed" is to be sent to "https://backup.example.com/upload/albums"
      And the destination of job "routed" carries the original credentials

    Scenario: The resource goes to the job's destination
      Given the upload extension is enabled
      When the app creates an upload job for "delivered" with destination "https://backup.example.com/upload/albums"
      And the system is given time to finish its work
      Then job "delivered" is succeeded
      And the last upload of "delivered" went to "https://backup.example.com/upload/albums"

    @since:26.4
    Scenario: A job made by the upload creator is of the upload type
      Given the upload extension is enabled
      When the app creates an upload job for "typed-upload"
      Then it succeeds
      And job "typed-upload" is an upload job

    @since:26.4
    Scenario: A job made by the download-only creator is of the download-only type
      Given the upload extension is enabled
      When the app creates a download-only job for "typed-download"
      Then it succeeds
      And job "typed-download" is a download-only job

  @must @system @since:27.0 @src:D-AR @src:H27-AR @src:ART
  Rule: STA-11 From 27 the app looks a job's resource up through PHAssetResource, which answers nil when it cannot be found; the old property is gone on macOS

    Scenario: Looking up the resource of a registered job gives its photo
      Given the upload extension is enabled
      And job "portrait" is registered
      Then looking up the resource of job "portrait" gives the photo "portrait"

    Scenario: Looking up the resource of a job whose photo was deleted gives nil
      Given the upload extension is enabled
      And job "deleted-later" is registered
      When the user deletes "deleted-later"
      Then looking up the resource of job "deleted-later" gives nil

    @platform:macos
    Scenario: On macOS a job has no resource property to read
      Given the upload extension is enabled
      And job "mac-job" is registered
      When the app reads the resource property of job "mac-job"
      Then it fails with an API-unavailable error

    @platform:ios
    Scenario: On iOS 27 the deprecated resource property still names the photo of a registered job
      Given the upload extension is enabled
      And job "legacy-read" is registered
      Then the resource property of job "legacy-read" names the photo "legacy-read"

  @must @system @src:ART
  Rule: STA-12 Once acknowledged, a job is gone from the system and cannot be read through PhotoKit any more

    Scenario Outline: An acknowledged <state> job is in no fetch and has no change request
      Given the upload extension is enabled
      And job "forgotten" is <state>
      When the app acknowledges job "forgotten"
      Then it succeeds
      And job "forgotten" no longer exists

      Examples:
        | state     |
        | succeeded |
        | failed    |

    Scenario: Time passing does not bring an acknowledged job back
      Given the upload extension is enabled
      And job "closed" is succeeded
      When the app acknowledges job "closed"
      And the system is given time to finish its work
      Then job "closed" no longer exists
      And the server received "closed" 1 time

    @since:27.0
    Scenario: An acknowledged job's resource can no longer be looked up through it
      Given the upload extension is enabled
      And job "released" is succeeded
      When the app acknowledges job "released"
      Then it succeeds
      And looking up the resource of job "released" gives nil

  @must @src:D-CR-INIT @src:ART
  Rule: STA-13 Asking for a job's change request can give nil, and callers have to cope with that

    @system
    Scenario: The change request for a job that was acknowledged is nil
      Given the upload extension is enabled
      And job "gone-by-now" is succeeded
      When the app acknowledges job "gone-by-now"
      Then asking for a change request for job "gone-by-now" gives nil

    @system
    Scenario: The change request for a live job is not nil
      Given the upload extension is enabled
      And job "still-here" is failed
      Then asking for a change request for job "still-here" gives a change request

    @app
    Scenario: A change request that comes back nil does not break the app's processing call
      Given the user turned on backup in the app
      And job "vanishing" succeeded with response header "X-Server-Id" set to "srv-vanishing"
      And job "vanishing" will be acknowledged behind the app's back right after the app first fetches it
      When the system is given time to finish its work
      Then no processing call was killed
      And the app answered .processing or .completed to every processing call
      And no job is left unacknowledged

  @must @system @src:H27-J
  Rule: STA-14 A job is a PHObject with its own stable local identifier (and Sendable)
    Only the identifier is checked: Sendable is a compile-time property of the Swift class.

    Scenario: Jobs fetched together each have a local identifier of their own
      Given the upload extension is enabled
      And 3 upload jobs are succeeded
      And job "lone-failure" is failed
      Then every job fetched to acknowledge has its own local identifier

    Scenario: A job keeps its local identifier from registration to its result
      Given the upload extension is enabled
      When the app creates an upload job for "steady"
      And the upload of job "steady" ends with success
      Then job "steady" is succeeded
      And fetching jobs to acknowledge returns "steady"
