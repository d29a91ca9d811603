Feature: Termination: the system ends the extension, and calls it again later
  The system owns the extension's life: before it suspends or ends the extension it says so
  (notifyTermination on 26.x, willTerminate on 27), possibly in the middle of a processing call, and
  it may also end the extension with no word at all. The extension stops promptly, answers
  .processing so that the rest is picked up, and is written so that an interruption at any point
  loses and duplicates nothing; the next activation brings a new processing call. Paraphrased from
  Apple's article and the two protocols' termination pages (rules-digest.md section 3.9); the ways a
  termination arrives follow AMB-19. The harness records each call under the method the system used
  (`process` / `notifyTermination` on 26.x, `processJobs` / `willTerminate` on 27), so a system that
  calls the other protocol's method fails.

  @must @system @until:26.5 @src:D-EXT-T
  Rule: TER-01 On 26.x the system calls notifyTermination when it is about to suspend or end the extension

    Scenario: notifyTermination follows a processing call the system is about to end
      Given the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      When the system makes a processing call
      Then the processing call ended without being killed
      And the system sent the extension a termination notice after the processing call returned
      And the system used its profile's protocol for every processing call and notice

    Scenario: notifyTermination can reach a process() call that is still running
      Given the upload extension is enabled
      And the extension works for 10 seconds in every processing call
      And the system will send a termination notice after 5 calls into the system in the next processing call
      When the system makes a processing call
      Then the system sent the extension a termination notice while the processing call was running
      And the system used its profile's protocol for every processing call and notice

  @must @system @since:27.0 @src:D-JEXT-T
  Rule: TER-02 On 27 the system calls willTerminate before it suspends or ends the extension process

    Scenario: willTerminate follows a processing call the system is about to end
      Given the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      When the system makes a processing call
      Then the processing call ended without being killed
      And the system sent the extension a termination notice after the processing call returned
      And the system used its profile's protocol for every processing call and notice

    Scenario: willTerminate can reach a processJobs() call that is still running
      Given the upload extension is enabled
      And the extension works for 10 seconds in every processing call
      And the system will send a termination notice after 5 calls into the system in the next processing call
      When the system makes a processing call
      Then the system sent the extension a termination notice while the processing call was running
      And the system used its profile's protocol for every processing call and notice

  @should @app @src:D-EXT-T @src:D-JEXT-T @src:ART
  Rule: TER-03 On the termination notice the extension stops what it is doing and cleans up

    Scenario Outline: Told to terminate after <calls> calls of its first backup call, the app winds down within a few calls
      Given the library holds 120 photos
      And the user turned on backup in the app
      And the system will send a termination notice after <calls> calls into the system in the next processing call
      When the system makes a processing call
      Then the app made at most 3 calls into the system after the termination notice
      And the processing call ended without being killed

      Examples:
        | calls |
        | 2     |
        | 5     |
        | 8     |

    Scenario: Told to terminate in the middle of creating jobs, the app starts no further change block
      Given the library holds 120 photos
      And the user turned on backup in the app
      And the system will send a termination notice after 7 calls into the system in the next processing call
      When the system makes a processing call
      Then the app began no change block after the termination notice
      And the processing call ended without being killed

  @must @src:ART
  Rule: TER-04 A termination notice may come at any moment, uploads running or not, and the extension then leaves promptly

    @system
    Scenario: An upload in progress carries on after the extension is told to terminate
      Given the upload extension is enabled
      And job "a" is pending
      And the system will send a termination notice right after the next processing call
      When the system makes a processing call
      And the system is given time to finish its work
      Then the system sent the extension 1 termination notice
      And job "a" is succeeded
      And the server received "a" 1 time

    @app
    Scenario: A notice while the app's first jobs are queued for upload ends the next call promptly
      Given the library holds 120 photos
      And the user turned on backup in the app
      And the system has made its first processing call
      And the system will send a termination notice after 2 calls into the system in the next processing call
      When the system makes a processing call
      Then the app made at most 3 calls into the system after the termination notice
      And the processing call ended without being killed

    @app
    Scenario: A notice as the app's acknowledgements commit ends the call promptly
      Given the library holds 3 photos
      And the user turned on backup in the app
      And the system will send a termination notice right after the app commits a change that acknowledges a job
      When the system is given time to finish its work
      Then the system sent the extension 1 termination notice
      And the app made at most 3 calls into the system after the termination notice
      And no processing call was killed

  @must @system @src:D-EXT-T @src:D-JEXT-T
  Rule: TER-05 When the extension is activated again, the system makes a new processing call

    Scenario: After a termination notice the system calls again for the remaining work
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      When the system makes a processing call
      Then the system sent the extension a termination notice after the processing call returned
      And the system calls the extension within the patience horizon

    Scenario: After a termination notice a library change brings a new processing call
      Given the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      And the system has made its first processing call
      When the user takes a photo "new"
      Then the system sent the extension 1 termination notice
      And the system calls the extension within the patience horizon

    @assume:AMB-17=field
    Scenario: After a termination notice the system calls again within minutes
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      When the system makes a processing call
      Then the system sent the extension a termination notice after the processing call returned
      And the system calls the extension within 10 minutes

    @assume:AMB-17=field
    Scenario: After a termination notice a library change brings a new processing call within seconds
      Given the upload extension is enabled
      And the system will send a termination notice right after the next processing call
      And the system has made its first processing call
      When the user takes a photo "new"
      Then the system sent the extension 1 termination notice
      And the system calls the extension within 10 seconds

  @must @src:ART
  Rule: TER-06 The system may end the extension at any time and calls it again afterwards

    @system
    Scenario: After a kill without notice the system calls the extension again
      Given the extension works for 10 seconds in every processing call
      And the upload extension is enabled
      And the system will kill the extension without notice after 5 calls into the system in the next processing call
      And the system has made its first processing call
      Then the processing call was killed
      And the system sent the extension no termination notice
      And the system calls the extension within the patience horizon

    @system @assume:AMB-17=field
    Scenario: After a kill without notice the system calls the extension again within minutes
      Given the extension works for 10 seconds in every processing call
      And the upload extension is enabled
      And the system will kill the extension without notice after 5 calls into the system in the next processing call
      And the system has made its first processing call
      Then the processing call was killed
      And the system calls the extension within 10 minutes

    @app
    Scenario: Killed in the middle of its first backup call, the app is called again and finishes the backup
      Given the library holds 10 photos
      And the user turned on backup in the app
      And the system will kill the extension without notice after 8 calls into the system in the next processing call
      When the system is given time to finish its work
      Then exactly 1 processing call ended in a kill
      And the app returns .completed
      And every photo is uploaded exactly once and recorded by the app

  @must @app @src:ART
  Rule: TER-07 The extension is written so that an interruption at any point loses and duplicates nothing

    Scenario Outline: Killed without notice after <calls> calls into the system, the app still backs up every photo once
      Given the library holds 60 photos
      And the user turned on backup in the app
      And the system will kill the extension without notice after <calls> calls into the system in the next processing call
      When the system is given time to finish its work
      Then exactly 1 processing call ended in a kill
      And every photo is uploaded exactly once and recorded by the app
      And no job is left unacknowledged

      Examples:
        | calls |
        | 1     |
        | 4     |
        | 7     |
        | 9     |

    Scenario Outline: Killed right after committing a change that <change> a job, the app still backs up every photo once
      Given the library holds 60 photos
      And the upload of "photo-3" will fail with a timeout
      And the user turned on backup in the app
      And the system will kill the extension without notice right after the app commits a change that <change> a job
      When the system is given time to finish its work
      Then exactly 1 processing call ended in a kill
      And every photo is uploaded exactly once and recorded by the app
      And no job is left unacknowledged

      Examples:
        | change       |
        | retries      |
        | acknowledges |

    @since:26.4
    Scenario: Killed right after its job creations took effect, the app still backs up every photo once
      On 26.1 createJob returns no identifier and queued jobs cannot be fetched, so an app killed at
      this very point cannot learn which of its creations took effect; from 26.4 the placeholder tells it.
      Given the library holds 60 photos
      And the user turned on backup in the app
      And the system will kill the extension without notice right after the app commits a change that creates a job
      When the system is given time to finish its work
      Then exactly 1 processing call ended in a kill
      And every photo is uploaded exactly once and recorded by the app
      And no job is left unacknowledged

    Scenario Outline: Told to terminate after <calls> calls into the system, the app still backs up every photo once
      Given the library holds 60 photos
      And the user turned on backup in the app
      And the system will send a termination notice after <calls> calls into the system in the next processing call
      When the system is given time to finish its work
      Then the system sent the extension 1 termination notice
      And every photo is uploaded exactly once and recorded by the app
      And no job is left unacknowledged

      Examples:
        | calls |
        | 0     |
        | 3     |
        | 8     |

    Scenario: Told to terminate right after a call, the app still backs up every photo once
      Given the library holds 60 photos
      And the user turned on backup in the app
      And the system will send a termination notice right after the next processing call
      When the system is given time to finish its work
      Then the system sent the extension 1 termination notice
      And every photo is uploaded exactly once and recorded by the app
      And no job is left unacknowledged

  @should @app @src:ART
  Rule: TER-08 Having noticed the termination, the processing method returns early with .processing so the next call resumes

    Scenario: Told to terminate before it starts, the app creates nothing and answers .processing
      Given the library holds 3 photos
      And the user turned on backup in the app
      And the system will send a termination notice after 0 calls into the system in the next processing call
      When the system makes a processing call
      Then the app created no upload job during that processing call
      And the app returns .processing

    Scenario: Told to terminate as its last acknowledgements commit, the app answers .processing rather than .completed
      Given the library holds 3 photos
      And the user turned on backup in the app
      And the system will send a termination notice right after the app commits a change that acknowledges a job
      When the system is given time to finish its work
      Then the system sent the extension 1 termination notice
      And the call in which the termination notice came was answered .processing

    Scenario: After answering .processing to a notice, the app finishes the backup in later calls
      Given the library holds 3 photos
      And the user turned on backup in the app
      And the system will send a termination notice after 2 calls into the system in the next processing call
      When the system is given time to finish its work
      Then the app answered .processing to every processing call before the last
      And the app returns .completed
      And every photo reached the server
