Feature: Limits: the jobLimit and the per-call runtime limit
  An app may hold at most jobLimit unacknowledged jobs: registered, pending, succeeded and failed ones all
  take a slot, cancelled and acknowledged ones do not. Going past the limit is refused with limitExceeded;
  room is made by acknowledging finished jobs. The value of jobLimit is not documented, so apps read it at
  run time, and the scenarios below speak of it relative to its value. Each processing call also runs
  under a runtime limit. Paraphrased from the job class page, the article and the SDK headers
  (rules-digest.md section 3.10).

  @must @system @src:D-JOB @src:H26.1-J
  Rule: LIM-01 The jobLimit caps unacknowledged jobs, counting registered, pending, succeeded and failed ones alike

    Scenario Outline: A jobLimit's worth of <state> jobs leaves no room for another
      Given the upload extension is enabled
      And every slot under the jobLimit is held by <state> jobs
      Then exactly 0 more upload jobs fit under the jobLimit

      Examples:
        | state      |
        | registered |
        | pending    |
        | succeeded  |
        | failed     |

    Scenario: Jobs in all four counted states add up toward the jobLimit
      Given the upload extension is enabled
      And job "queued" is registered
      And job "sending" is pending
      And job "sent" is succeeded
      And job "broken" is failed
      And all but 1 slot under the jobLimit are held by registered jobs
      Then exactly 1 more upload jobs fit under the jobLimit

    Scenario: A failed job whose one retry is spent still takes a slot
      Given the upload extension is enabled
      And job "spent" failed again after its one retry
      And all but 1 slot under the jobLimit are held by registered jobs
      Then exactly 1 more upload jobs fit under the jobLimit
      And job "spent" is failed

  @must @system @src:D-CR-NEW @src:ART
  Rule: LIM-02 Going past the jobLimit is refused with limitExceeded, for new jobs and, in the article's reading, for retries

    Scenario: A new job is refused with limitExceeded when succeeded jobs hold every slot
      Given the upload extension is enabled
      And every slot under the jobLimit is held by succeeded jobs
      When the app creates an upload job for "refused"
      Then it fails with limitExceeded
      And no job exists for "refused"

    @assume:AMB-02=retry-checks-limit
    Scenario: A retry at the jobLimit is refused with limitExceeded and the job stays failed
      Given the upload extension is enabled
      And job "retry-at-limit" is failed
      And every slot under the jobLimit is held by registered jobs
      When the app retries job "retry-at-limit" keeping its destination
      Then it fails with limitExceeded
      And job "retry-at-limit" is failed
      And fetching jobs to retry returns "retry-at-limit"

    @assume:AMB-02=retry-checks-limit
    Scenario: A retry below the jobLimit is accepted in the article's reading
      Given the upload extension is enabled
      And job "retry-with-room" is failed
      And all but 1 slot under the jobLimit are held by registered jobs
      When the app retries job "retry-with-room" keeping its destination
      Then it succeeds
      And job "retry-with-room" is registered

    @assume:AMB-02=retry-keeps-slot
    Scenario: A retry at the jobLimit keeps the job's own slot and is accepted
      Given the upload extension is enabled
      And job "retry-in-place" is failed
      And every slot under the jobLimit is held by registered jobs
      When the app retries job "retry-in-place" keeping its destination
      Then it succeeds
      And job "retry-in-place" is registered
      And exactly 0 more upload jobs fit under the jobLimit

  @must @src:D-JOB
  Rule: LIM-03 Room under the jobLimit is made by fetching jobs per action and acknowledging or retrying them

    @system
    Scenario: Acknowledging a failed job at the jobLimit frees its slot
      Given the upload extension is enabled
      And job "gave-up" is failed
      And every slot under the jobLimit is held by succeeded jobs
      When the app acknowledges job "gave-up"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

    @system @assume:AMB-02=retry-keeps-slot
    Scenario: A retried job frees its slot once it has succeeded and been acknowledged
      Given the upload extension is enabled
      And job "second-try" is failed
      And every slot under the jobLimit is held by registered jobs
      When the app retries job "second-try" keeping its destination
      And the upload of job "second-try" ends with success
      And the app acknowledges job "second-try"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

    @app
    Scenario: The app fetches jobs to retry and to acknowledge to keep room for its backup
      Given the library holds 120 photos
      And the upload of "photo-3" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app fetched jobs to retry
      And the app fetched jobs to acknowledge
      And the server saw 2 upload attempts of "photo-3"
      And every photo reached the server

  @must @system @since:26.4 @src:ART @src:D-CR-CANCEL
  Rule: LIM-04 Cancelled jobs take no slot under the jobLimit

    Scenario: Cancelling a registered job at the jobLimit frees its slot
      Given the upload extension is enabled
      And job "redundant" is registered
      And every slot under the jobLimit is held by registered jobs
      When the app cancels job "redundant"
      Then it succeeds
      And job "redundant" no longer exists
      And exactly 1 more upload jobs fit under the jobLimit

    Scenario: Cancelling a pending job at the jobLimit frees its slot
      Given the upload extension is enabled
      And job "sent-elsewhere" is pending
      And every slot under the jobLimit is held by registered jobs
      When the app cancels job "sent-elsewhere"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

  @must @src:D-JOB
  Rule: LIM-05 The jobLimit's value is not documented, so the app reads it at run time instead of assuming one
    The SYSTEM side: the value it reports is the limit it enforces. The APP side: the app is run against
    jobLimits no constant could match; an app that assumes a value (and asks for more jobs than fit) gets
    its change blocks refused and never finishes. An app may also learn the limit from limitExceeded
    (Apple's sample does), which is reading it at run time too.

    @system
    Scenario: The jobLimit the system reports is the number of jobs it lets an app hold
      Given the upload extension is enabled
      Then the jobLimit is a positive number read from the system
      And the whole jobLimit is free for new upload jobs

    @system
    Scenario: A jobLimit set on the system is the one it reports and enforces
      Given the upload extension is enabled
      And the system's jobLimit is 13
      Then the jobLimit the system reports is 13
      And the whole jobLimit is free for new upload jobs

    @app
    Scenario: When the jobLimit changes between calls the app follows it
      Given the library holds 40 photos
      And the system's jobLimit is 13
      And the user turned on backup in the app
      And the system has made its first processing call
      When the system's jobLimit becomes 5
      And the system is given time to finish its work
      Then every photo reached the server
      And no job is left unacknowledged

    @app
    Scenario Outline: With a jobLimit of <limit> the app backs up a library larger than the limit
      Given the library holds 40 photos
      And the system's jobLimit is <limit>
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then every photo reached the server
      And no job is left unacknowledged
      And no processing call created more upload jobs than the jobLimit

      Examples:
        | limit |
        | 3     |
        | 7     |
        | 13    |

  @must @system @src:ART
  Rule: LIM-06 Each processing call runs under a runtime limit, and on devices under a memory limit, that the system enforces
    The runtime limit is checked for any value (AMB-18, documented reading): a call that runs on is ended
    by a kill; the field figure (60 s) only under `--assume AMB-18=field`. The memory limit is not
    modelled: the contracts carry no memory figures, so that half of the rule needs a device (jetsam
    reports) and is not checked by these scenarios.

    Scenario: A call that runs on without end is ended by a kill
      Given the upload extension is enabled
      And the extension works without end in every processing call
      When the system makes a processing call
      Then the processing call was killed

    Scenario: A call that returns at once keeps its answer
      Given the upload extension is enabled
      And the extension answers every processing call with .processing
      When the system makes a processing call
      Then the processing call ended without being killed

    @assume:AMB-18=field
    Scenario: A call still working two minutes in is ended by a kill
      Given the upload extension is enabled
      And the extension works for 2 minutes in every processing call
      When the system makes a processing call
      Then the processing call was killed

    @assume:AMB-18=field
    Scenario: A call that returns within the runtime limit keeps its answer
      Given the upload extension is enabled
      And the extension works for 45 seconds in every processing call
      When the system makes a processing call
      Then the processing call ended without being killed
      And the app returns .completed

    Scenario: The runtime limit applies to each call, not to the life of the extension process
      Given the extension answers every processing call with .processing
      And the extension works for 10 seconds in every processing call
      And the upload extension is enabled
      When the system makes 3 more processing calls of its own accord
      Then within each extension process a call was killed only if the process's first call was killed too

  @may @src:ART
  Rule: LIM-07 The upload server may cap the size of the uploads it accepts
    The preflight exchange and its Upload-Limit header are not part of the model; a server's size cap
    shows up as the server refusing the oversized upload, and the scenarios check what the system and
    the reference app make of that refusal.

    @system @since:26.4
    Scenario: An upload refused by the server as too large fails its job with badServerResponse
      Given the library holds a video "long-take"
      And the upload extension is enabled
      And the upload of "long-take" will fail with HTTP 400
      When the app creates an upload job for "long-take"
      And the system is given time to finish its work
      Then job "long-take" is failed
      And job "long-take" has an error in NSURLErrorDomain
      And the server received "long-take" 0 times
