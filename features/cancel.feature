Feature: Cancelling upload jobs that are still queued
  From 26.4 an app can cancel a job the system has not finished yet, typically because the photo
  reached the server some other way. A cancelled job counts as acknowledged straight away, so it
  neither holds a slot under the jobLimit nor gets uploaded. The queued jobs are found with the
  process action (26.5). Paraphrased from Apple's article and the cancel() page (rules-digest.md
  section 3.8).

  @must @system @since:26.4 @src:D-CR-CANCEL @src:ART
  Rule: CAN-01 Only a job that is registered or pending can be cancelled

    Scenario Outline: A <state> job can be cancelled
      Given the upload extension is enabled
      And job "queued" is <state>
      When the app cancels job "queued"
      Then it succeeds
      And job "queued" no longer exists

      Examples:
        | state      |
        | registered |
        | pending    |

    @implementation-defined
    Scenario Outline: Cancelling a <state> job is refused and the job stays as it was
      Given the upload extension is enabled
      And job "finished" is <state>
      When the app cancels job "finished"
      Then the system refuses the change
      And job "finished" is <state>

      Examples:
        | state     |
        | succeeded |
        | failed    |

  @must @system @since:26.4 @src:D-CR-CANCEL @src:ART
  Rule: CAN-02 A cancelled job is acknowledged at once and holds no slot under the jobLimit

    Scenario: A cancelled job leaves the fetches while finished jobs stay
      Given the upload extension is enabled
      And job "queued" is registered
      And job "done" is succeeded
      When the app cancels job "queued"
      Then it succeeds
      And job "queued" no longer exists
      And fetching jobs to acknowledge returns "done"

    @since:26.5
    Scenario: A cancelled job is no longer among the jobs to process
      Given the upload extension is enabled
      And job "queued" is registered
      And job "waiting" is pending
      When the app cancels job "queued"
      Then it succeeds
      And fetching jobs to process returns "waiting"

    Scenario: Cancelling a queued job frees its slot
      Given the upload extension is enabled
      And job "queued" is registered
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app cancels job "queued"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

    Scenario: A cancelled pending job is not sent to the server
      Given the upload extension is enabled
      And job "queued" is pending
      When the app cancels job "queued"
      And the system is given time to finish its work
      Then the server received no upload

  @may @since:26.4 @src:D-CR-CANCEL
  Rule: CAN-03 Cancelling is how an app drops a redundant job, e.g. for a photo that already reached the server

    @system
    Scenario: A redundant job cancelled before it started is never uploaded
      Given the upload extension is enabled
      And job "twin" is registered
      And job "needed" is registered
      When the app cancels job "twin"
      And the system is given time to finish its work
      Then the server received "twin" 0 times
      And the server received "needed" 1 time

    @app @since:26.5
    Scenario: An app that cancels, cancels a queued job only for a photo it has already backed up
      Cancelling is a permission: an app that never cancels is not judged by this scenario.
      Given the library holds a photo "twin"
      And the library holds a photo "needed"
      And the app has finished backing up the library
      And job "twin" is registered
      When the system makes a processing call
      And the system is given time to finish its work
      Then every job the app cancelled was for a photo the server already held
      And no job is left unacknowledged

    @app @since:26.5
    Scenario: The app cancels none of the jobs of an ordinary backup, since none is redundant
      Given the library holds 3 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app cancelled 0 jobs
      And every photo is uploaded exactly once and recorded by the app

  @should @app @since:26.5 @src:ART
  Rule: CAN-04 The app looks for jobs it could cancel by fetching the process set

    An app that never cancels has nothing to look for; for it the rule does not apply.

    Scenario: The app fetches the process set when it looks for redundant jobs
      Given the library holds a photo "twin"
      And the app has finished backing up the library
      And job "twin" is registered
      When the system makes a processing call
      Then every job the app cancelled it had found by fetching jobs to process
