Feature: Acknowledging finished upload jobs
  A job that has finished, well or badly, keeps its slot under the jobLimit until the app acknowledges
  it; acknowledging makes the system forget the job for good. The app therefore writes down what
  happened (and what the server answered) in its own records first, tells upload jobs from
  download-only ones, and finds the finished jobs by fetching the acknowledge set. Paraphrased from
  Apple's article and the change-request pages (rules-digest.md section 3.8).

  @must @system @src:D-CR @src:H27-CR
  Rule: ACK-01 Only a job that has succeeded or failed can be acknowledged

    Scenario: A succeeded job can be acknowledged
      Given the upload extension is enabled
      And job "done" is succeeded
      When the app acknowledges job "done"
      Then it succeeds
      And job "done" no longer exists

    Scenario: A failed job can be acknowledged without retrying it
      Given the upload extension is enabled
      And job "broken" is failed
      When the app acknowledges job "broken"
      Then it succeeds
      And job "broken" no longer exists

    Scenario: A job whose one retry failed as well can be acknowledged
      Given the upload extension is enabled
      And job "twice" failed again after its one retry
      When the app acknowledges job "twice"
      Then it succeeds
      And job "twice" no longer exists

    @implementation-defined
    Scenario Outline: Acknowledging a <state> job is refused and the job stays as it was
      Given the upload extension is enabled
      And job "busy" is <state>
      When the app acknowledges job "busy"
      Then the system refuses the change
      And job "busy" is <state>

      Examples:
        | state      |
        | registered |
        | pending    |

  @must @app @src:D-CR @src:ART
  Rule: ACK-02 The app acknowledges every finished job, the failed ones as well as the successful ones

    Scenario: Jobs that failed for good are acknowledged too
      Given the library holds 2 photos
      And the library holds a photo "refused"
      And the next 6 uploads of "refused" will end with HTTP 400
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then no job is left unacknowledged
      And the server received "photo-2" 1 time

    Scenario: Jobs that failed once and then succeeded on their retry are acknowledged
      Given the library holds 4 photos
      And the upload of "photo-3" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then no job is left unacknowledged
      And the server saw 2 upload attempts of "photo-3"
      And every photo reached the server

  @must @system @src:ART
  Rule: ACK-03 Acknowledging makes the system forget the job and gives its slot back

    Scenario: An acknowledged job is gone from every fetch while the others stay
      Given the upload extension is enabled
      And job "done" is succeeded
      And job "other" is succeeded
      When the app acknowledges job "done"
      Then it succeeds
      And job "done" no longer exists
      And fetching jobs to acknowledge returns "other"

    Scenario: A succeeded job holds its slot until it is acknowledged
      Given the upload extension is enabled
      And job "done" is succeeded
      And the remaining slots under the jobLimit are filled with registered jobs
      Then exactly 0 more upload jobs fit under the jobLimit

    Scenario: Acknowledging a succeeded job frees one slot
      Given the upload extension is enabled
      And job "done" is succeeded
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app acknowledges job "done"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

    Scenario: Acknowledging a failed job frees one slot
      Given the upload extension is enabled
      And job "broken" is failed
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app acknowledges job "broken"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

  @must @src:ART
  Rule: ACK-04 Once the jobLimit is reached, new jobs can only be created after finished ones are acknowledged

    @system
    Scenario: At the jobLimit a new job is refused while finished jobs stay unacknowledged
      Given the upload extension is enabled
      And job "done" is succeeded
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app creates an upload job for "late"
      Then it fails with limitExceeded

    @system
    Scenario: At the jobLimit acknowledging a finished job makes room for a new one
      Given the upload extension is enabled
      And job "done" is succeeded
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app acknowledges job "done"
      And the app creates an upload job for "late"
      Then it succeeds
      And job "done" no longer exists
      And exactly 0 more upload jobs fit under the jobLimit

    @system @assume:AMB-07=all-or-nothing
    Scenario: At the jobLimit a block that acknowledges and creates takes effect as a whole or not at all
      Whether the acknowledgement makes room for the creation in the same block is not documented;
      either answer is accepted, as long as the block is not applied in part.
      Given the upload extension is enabled
      And job "done" is succeeded
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app acknowledges job "done" and creates an upload job for "late" in one change block
      Then either job "done" is gone and a job exists for "late", or neither change took effect

    @app
    Scenario: A library larger than the jobLimit is backed up by acknowledging as it goes
      Given the library holds 120 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app acknowledged 120 jobs
      And every photo reached the server
      And no job is left unacknowledged

  @should @app @src:ART
  Rule: ACK-05 The app records each outcome in its own store, confirmed by the server, before acknowledging the job
    The app may confirm with the server or with its own tracking (the job's state): a job that failed is
    never recorded as uploaded. Whether a success the server cannot confirm counts is practice (PRC-02).

    Scenario: A photo the server refused is not recorded as uploaded; the one it took is
      Given the library holds a photo "refused"
      And the library holds a photo "fine"
      And the next 6 uploads of "refused" will end with HTTP 400
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app recorded nothing the server did not store
      And the app recorded "fine" as uploaded

    Scenario: Killed right after its acknowledgement took effect, the app already holds every outcome
      Given the library holds 3 photos
      And the user turned on backup in the app
      And the system will kill the extension without notice right after the app commits a change that acknowledges a job
      When the system is given time to finish its work
      Then exactly 1 processing call ended in a kill
      And no job is left unacknowledged
      And every photo is uploaded exactly once and recorded by the app

  @should @app @since:26.4 @src:ART
  Rule: ACK-06 Before acknowledging, the app reads the job's response headers, e.g. the id the server gave the upload

    Scenario: The app keeps the id the server returned in its response headers
      Given the library holds a photo "beach"
      And the server will store "beach" under the id "srv-beach-77"
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app recorded "beach" as uploaded with the server id "srv-beach-77"

  @should @app @since:26.4 @src:ART
  Rule: ACK-07 When acknowledging, the app uses the job's type to keep download-only jobs apart from uploads
    A download-only job that finishes before the photo's upload job must not count as a failed upload
    attempt; an app that took it for one would queue the photo a second time.

    Scenario: A download-only job finishing first neither counts as an upload nor causes a second one
      Given the library holds a photo "edit"
      And the user turned on backup in the app
      When the app creates a download-only job for "edit"
      And the system is given time to finish its work
      Then every photo reached the server exactly once
      And no job is left unacknowledged

  @should @app @src:ART @src:D-ACT
  Rule: ACK-08 The app finds the jobs to acknowledge by fetching the acknowledge set

    Scenario: The app fetches the acknowledge set during its backup
      Given the library holds 2 photos
      And the app has finished backing up the library
      Then the app fetched jobs to acknowledge

    Scenario: A finished job the app's own records do not know is still found and acknowledged
      Given the user turned on backup in the app
      And job "stray" succeeded with response header "X-Server-Id" set to "srv-stray"
      When the system is given time to finish its work
      Then no job is left unacknowledged
