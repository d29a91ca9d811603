Feature: Retrying failed upload jobs
  A job that failed can be sent once more: the app retries it, inside a change block, either to the
  same destination or to a new request (for example with refreshed credentials). Each job gets one
  retry; after that it can only be acknowledged. Apple's texts disagree on how a retry relates to the
  jobLimit (AMB-02), so the limit scenarios come in both readings. A good app looks for retryable jobs
  through the retry fetch, retries transient failures and acknowledges permanent ones instead.
  Paraphrased from the retry(destination:) page, the Action page, the 26.1 header and the article's
  retry section (rules-digest.md section 3.7).

  @must @src:D-CR-RETRY @src:D-ACT
  Rule: RET-01 Only a failed job that is unacknowledged and was never retried can be retried, so each job gets one retry at most

    @system
    Scenario: A job that failed for the first time can be retried
      Given the upload extension is enabled
      And job "first-miss" is failed
      When the app retries job "first-miss" keeping its destination
      Then it succeeds
      And job "first-miss" is registered

    @system
    Scenario: A retried job is sent again and can still succeed
      Given the upload extension is enabled
      And job "second-chance" failed with a timeout
      When the app retries job "second-chance" keeping its destination
      And the system is given time to finish its work
      Then job "second-chance" is succeeded
      And the server saw 2 upload attempts of "second-chance"
      And the server received "second-chance" 1 time

    @system @implementation-defined
    Scenario: A second retry of the same job is refused and the job stays failed
      Given the upload extension is enabled
      And job "once-only" failed again after its one retry
      When the app retries job "once-only" keeping its destination
      Then the system refuses the change
      And job "once-only" is failed
      And fetching jobs to retry returns no job

    @system @implementation-defined
    Scenario Outline: Retrying a <state> job is refused and the job stays as it was
      Given the upload extension is enabled
      And job "not-failed" is <state>
      When the app retries job "not-failed" keeping its destination
      Then the system refuses the change
      And job "not-failed" is <state>

      Examples:
        | state      |
        | registered |
        | pending    |
        | succeeded  |

    @system
    Scenario: A failed job that was acknowledged can no longer be reached to retry it
      Given the upload extension is enabled
      And job "given-up" is failed
      When the app acknowledges job "given-up"
      Then it succeeds
      And asking for a change request for job "given-up" gives nil

    @app
    Scenario: The app never asks for a second retry of a job whose retry failed too
      Given the library holds a photo "flaky"
      And the next 2 uploads of "flaky" will end with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app retried no job twice
      And no job is left unacknowledged

    @system
    Scenario: A job the extension retries inside a processing call is sent again
      Given the upload extension is enabled
      And job "retried-in-call" failed with a timeout
      And in its next processing call the extension retries job "retried-in-call" keeping its destination
      When the system makes a processing call
      And the system is given time to finish its work
      Then job "retried-in-call" is succeeded
      And the server saw 2 upload attempts of "retried-in-call"

  @must @system @src:ART
  Rule: RET-02 A retry without a destination reuses the job's original request; a retry with one replaces it

    Scenario: A retry without a destination sends the resource with the original request
      Given the upload extension is enabled
      And job "expired-token" failed with HTTP 401
      When the app retries job "expired-token" keeping its destination
      And the system is given time to finish its work
      Then job "expired-token" is succeeded
      And the last upload of "expired-token" was sent with the original credentials

    Scenario: A retry with a new destination sends the resource with the new request
      Given the upload extension is enabled
      And job "refreshed-token" failed with HTTP 401
      When the app retries job "refreshed-token" with a new destination
      And the system is given time to finish its work
      Then job "refreshed-token" is succeeded
      And the last upload of "refreshed-token" was sent with the new credentials

    Scenario: The new destination of a retry becomes the job's destination
      Given the upload extension is enabled
      And job "re-addressed" is failed
      When the app retries job "re-addressed" with a new destination
      Then it succeeds
      And the destination of job "re-addressed" carries the new credentials

    Scenario: A retry without a destination leaves the job's destination as it was
      Given the upload extension is enabled
      And job "same-address" is failed
      When the app retries job "same-address" keeping its destination
      Then it succeeds
      And the destination of job "same-address" carries the original credentials

  @must @system @src:ART
  Rule: RET-03 A retried job takes a slot under the jobLimit; in the article's reading a retry at the limit is refused with limitExceeded

    Scenario: A retried job goes on taking its slot while it is sent again
      Given the upload extension is enabled
      And job "resent" is failed
      And all but 1 slot under the jobLimit are held by registered jobs
      When the app retries job "resent" keeping its destination
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

    @assume:AMB-02=retry-checks-limit
    Scenario: With the other slots held by finished jobs a retry is refused with limitExceeded
      Given the upload extension is enabled
      And job "crowded-out" is failed
      And every slot under the jobLimit is held by succeeded jobs
      When the app retries job "crowded-out" keeping its destination
      Then it fails with limitExceeded
      And job "crowded-out" is failed
      And fetching jobs to retry returns "crowded-out"

    @assume:AMB-02=retry-keeps-slot
    Scenario: With the other slots held by finished jobs a retry is still accepted in its own slot
      Given the upload extension is enabled
      And job "in-its-slot" is failed
      And every slot under the jobLimit is held by succeeded jobs
      When the app retries job "in-its-slot" keeping its destination
      Then it succeeds
      And job "in-its-slot" is registered
      And exactly 0 more upload jobs fit under the jobLimit

  @must @system @src:D-CR-RETRY @src:H26.1-CR
  Rule: RET-04 A retry that ends in success frees room under the jobLimit (once the job is acknowledged, in the suite's default reading)

    Scenario: A retried job that succeeded and was acknowledged gives its slot back
      Given the upload extension is enabled
      And job "recovered-slot" is failed
      And all but 1 slot under the jobLimit are held by registered jobs
      When the app retries job "recovered-slot" keeping its destination
      And the upload of job "recovered-slot" ends with success
      And the app acknowledges job "recovered-slot"
      Then it succeeds
      And exactly 2 more upload jobs fit under the jobLimit

    Scenario: A retried job that succeeds waits in the acknowledge set like any other
      Given the upload extension is enabled
      And job "recovered" is failed
      When the app retries job "recovered" keeping its destination
      And the upload of job "recovered" ends with success
      Then job "recovered" is succeeded
      And fetching jobs to acknowledge returns "recovered"
      And fetching jobs to retry returns no job

    @assume:AMB-02=retry-keeps-slot
    Scenario: At a full queue a successful retry gives its slot back once it is acknowledged
      Given the upload extension is enabled
      And job "full-retry" is failed
      And every slot under the jobLimit is held by registered jobs
      When the app retries job "full-retry" keeping its destination
      And the upload of job "full-retry" ends with success
      And the app acknowledges job "full-retry"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

    @assume:AMB-02=retry-checks-limit
    Scenario: At a full queue acknowledging a finished job makes room for the retry
      Given the upload extension is enabled
      And job "waiting-retry" is failed
      And job "done" is succeeded
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app acknowledges job "done"
      And the app retries job "waiting-retry" keeping its destination
      Then it succeeds
      And job "waiting-retry" is registered
      And exactly 1 more upload jobs fit under the jobLimit

  @should @app @src:ART
  Rule: RET-05 The app acknowledges finished jobs to free capacity before it retries

    Scenario: At a full queue the app still gets a failed photo uploaded
      Given the library holds 60 photos
      And the upload of "photo-7" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the server saw 2 upload attempts of "photo-7"
      And every photo reached the server
      And no job is left unacknowledged

    @assume:AMB-02=retry-checks-limit
    Scenario: At a full queue the app acknowledges finished jobs first, so its retry is not refused
      Given the library holds 60 photos
      And the upload of "photo-7" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the system refused none of the app's retries with limitExceeded
      And the server saw 2 upload attempts of "photo-7"
      And every photo reached the server

    @assume:AMB-02=retry-checks-limit
    Scenario: After a retry refused at the limit the app acknowledges finished jobs before it retries again
      Given the library holds 60 photos
      And the upload of "photo-7" will fail with a timeout
      And the user turned on backup in the app
      And every slot under the jobLimit is held by a job for a photo the user has since deleted
      When the system is given time to finish its work
      Then after a retry was refused with limitExceeded the app acknowledged a job before retrying again
      And the server saw 2 upload attempts of "photo-7"
      And every photo reached the server

  @should @app @src:ART @src:D-ACT
  Rule: RET-06 The app finds the jobs to retry by fetching the retry set

    Scenario: The app fetches the retry set and retries the job it finds there
      Given the library holds a photo "dropped-once"
      And the upload of "dropped-once" will fail with a lost connection
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app fetched jobs to retry
      And the app retried 1 job
      And the server saw 2 upload attempts of "dropped-once"
      And every photo reached the server

  @should @app @since:26.4 @src:ART
  Rule: RET-07 The app reads a failed job's error: it retries transient failures and acknowledges permanent ones instead of retrying them

    Scenario Outline: Of a job failed with <transient> and one failed with <permanent> the app retries only the first
      Given the user turned on backup in the app
      And job "transient" failed with <transient>
      And job "permanent" failed with <permanent>
      When the system makes a processing call
      Then the app retried 1 job
      And job "transient" is registered
      And job "permanent" no longer exists

      Examples:
        | transient         | permanent |
        | a timeout         | HTTP 401  |
        | a lost connection | HTTP 400  |

    Scenario: A photo the server keeps refusing is acknowledged, not retried
      Given the library holds a photo "rejected"
      And the upload of "rejected" will fail with HTTP 400
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app retried 0 jobs
      And no job is left unacknowledged

  @must @src:ART
  Rule: RET-08 A retry is made inside a change block and takes effect only when that block is committed

    @system
    Scenario: A retry in a change block that is abandoned leaves the job failed
      Given the upload extension is enabled
      And job "not-committed" is failed
      When the app retries job "not-committed" in a change block it then abandons
      Then job "not-committed" is failed
      And fetching jobs to retry returns "not-committed"

    @app
    Scenario: While recovering from a lost connection the app retries only inside change blocks
      Given the library holds a photo "wobbly"
      And the upload of "wobbly" will fail with a lost connection
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app retried 1 job
      And the app made every job change inside a change block
