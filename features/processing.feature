Feature: Processing: when the system calls the extension and what the extension answers
  The system owns the uploads and decides when to call the extension: when there is work and the
  network, power and device allow it, again after a `.processing` answer, after a library change once
  the extension answered `.completed`, and later (with backoff) after `.failure` or a kill. Each call
  ends with one result and should move the work forward by a bounded step. Developer Mode (27) relaxes
  the scheduling only. Paraphrased from Apple's article and the result and protocol pages
  (rules-digest.md section 3.4). Apple gives no delays and no runtime-limit value: by default a
  scenario only demands the documented order and that things happen within the run's patience
  horizon (AMB-17 and AMB-18, documented reading); the field figures are checked only under
  `--assume AMB-17=field` / `--assume AMB-18=field`.

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
      When the system is given time to finish its work
      Then job "beach" is succeeded
      And job "dinner" is succeeded
      And the server received "beach" 1 time

  @must @system @src:ART
  Rule: PRO-02 The system calls the extension when there is upload work and the network, power and device allow it

    Scenario: No processing call while the network is unavailable
      Given the library holds 3 photos
      And the network is unavailable
      And the upload extension is enabled
      Then the system does not call the extension within the patience horizon

    Scenario: The processing call follows once the network is back
      Given the library holds 3 photos
      And the network is unavailable
      And the upload extension is enabled
      When the network becomes Wi-Fi
      Then the system calls the extension within the patience horizon

    Scenario: No processing call while power conditions forbid background work
      Given the library holds 3 photos
      And power conditions do not allow background work
      And the upload extension is enabled
      Then the system does not call the extension within the patience horizon

    Scenario: The processing call follows once power conditions allow it again
      Given the library holds 3 photos
      And power conditions do not allow background work
      And the upload extension is enabled
      When power conditions allow background work again
      Then the system calls the extension within the patience horizon

    Scenario: A call that fell due while the network was away comes once it is back
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And the system has made its first processing call
      When the network becomes unavailable
      And the system is given time to finish its work
      And the network becomes Wi-Fi
      Then the system calls the extension within the patience horizon

    Scenario: A call that fell due while power conditions forbade work comes once they allow it
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And the system has made its first processing call
      When power conditions stop allowing background work
      And the system is given time to finish its work
      And power conditions allow background work again
      Then the system calls the extension within the patience horizon

  @must @app @src:D-EXT-P @src:D-JEXT-P
  Rule: PRO-03 Every processing call ends with exactly one result describing where the work stands

    Scenario Outline: The answer to a first call reflects a library of <count> photos
      Given the library holds <count> photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the processing call ended without being killed
      And the app answered the processing call with exactly one result
      And the app returns <result>

      Examples:
        | count | result      |
        | 0     | .completed  |
        | 2     | .processing |

    Scenario: A call whose change block the system refused still ends with one result
      Given the library holds 2 photos
      And the user turned on backup in the app
      And the system will refuse the app's next change block with internalError
      When the system makes a processing call
      Then the processing call ended without being killed
      And the app answered the processing call with exactly one result

  @must @src:D-RES @src:ART
  Rule: PRO-04 .completed means nothing is left to do; the system then watches the library for changes

    @system @assume:AMB-17=field
    Scenario: After .completed the system waits for a library change
      Given the library holds 2 photos
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system does not call the extension within 6 hours

    @system
    Scenario: A library change after .completed brings a processing call
      Given the library holds 2 photos
      And the upload extension is enabled
      And the system has made its first processing call
      When the user takes a photo "changed"
      Then the system calls the extension within the patience horizon

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
      When the system is given time to finish its work
      Then the app returns .completed
      And no job is left unacknowledged
      And every photo reached the server

    @app
    Scenario: A photo taken after the backup completed is picked up on the next call
      Given the library holds 2 photos
      And the app has finished backing up the library
      When the user takes a photo "new"
      And the system is given time to finish its work
      Then the server received "new" 1 time
      And the app returns .completed

  @must @system @src:D-RES @src:ART
  Rule: PRO-05 .processing asks for more time, and the system calls the extension again

    Scenario: After .processing the system calls the extension again
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system calls the extension within the patience horizon

    Scenario: The system goes on calling an extension that goes on answering .processing
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      When the system is given time to finish its work
      Then the system made at least 3 processing calls

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

    Scenario: After .processing the system calls again once the jobs made in that call are done, even when they failed
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And the upload of "doomed" will fail with HTTP 503
      And in its next processing call the extension creates an upload job for "doomed"
      When the system makes a processing call
      Then the system calls the extension within the patience horizon

    @since:26.4
    Scenario: After .processing the system calls again once the jobs made in that call were cancelled
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      And in its next processing call the extension creates an upload job for "dropped"
      When the system makes a processing call
      And the app cancels job "dropped"
      Then the system calls the extension within the patience horizon

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
      When the system is given time to finish its work
      Then the app answered .processing to every processing call before the last
      And the app returns .completed
      And every photo reached the server

  @may @system @src:D-RES @src:ART
  Rule: PRO-07 .failure reports an unrecoverable error; the system may call the extension again later

    Scenario: After .failure the system calls again later
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And the system has made its first processing call
      Then the system calls the extension within the patience horizon

    Scenario: A .failure answer leaves the feature enabled and its jobs uploading
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And the system has made its first processing call
      And job "kept" is registered
      When the system is given time to finish its work
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

    Scenario: A photo deleted while its job is queued does not keep the app answering .processing
      Given the library holds 3 photos
      And the user turned on backup in the app
      And the system has made its first processing call
      When the user deletes "photo-2"
      And the system is given time to finish its work
      Then the app returns .completed
      And no job is left unacknowledged

  @should @app @src:ART
  Rule: PRO-09 A processing call retries failed jobs first, then acknowledges finished ones, then creates new jobs

    The article describes a typical order; RET-05 asks for acknowledging before retrying. Neither order
    is required here: the check is that a call's work covers retrying, acknowledging and creating. Where
    the order matters (AMB-02 = retry-checks-limit) RET-05 checks it.

    Scenario: In the course of a backup the app retries failed jobs, acknowledges finished ones and creates new ones
      Given the library holds 60 photos
      And the upload of "photo-1" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then during its processing calls the app retried, acknowledged and created jobs
      And the server saw 2 upload attempts of "photo-1"
      And every photo reached the server

  @should @app @src:ART
  Rule: PRO-10 When the jobLimit refuses new jobs, the extension answers .processing and waits for room

    An app that keeps its room from the jobLimit never meets the refusal; for it the rule does not apply.

    Scenario: A limitExceeded refusal is answered with .processing
      Given the library holds 2 photos
      And the user turned on backup in the app
      And every slot under the jobLimit is held by a job for a photo the user has since deleted
      When the system makes a processing call
      Then every processing call in which the system refused the app's change block with limitExceeded was answered .processing

    Scenario: Through a first backup larger than the jobLimit every limitExceeded refusal is answered with .processing
      Given the library holds 120 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then every processing call in which the system refused the app's change block with limitExceeded was answered .processing

    Scenario: Once slots free up the app uploads the photos the limit held back
      Given the library holds 2 photos
      And the user turned on backup in the app
      And every slot under the jobLimit is held by a job for a photo the user has since deleted
      When the system is given time to finish its work
      Then the server received "photo-1" 1 time
      And the server received "photo-2" 1 time
      And no job is left unacknowledged

  @should @app @src:ART
  Rule: PRO-11 On an expired change token the extension drops the token, answers .processing and syncs afresh later

    Scenario: An expired change token is answered with .processing
      Given the library holds 2 photos
      And the app has finished backing up the library
      And the library holds a photo "late"
      And the library's change history was pruned
      When the system makes a processing call
      Then the call in which the app met an expired change token was answered .processing

    Scenario: After an expired change token the app re-syncs without uploading anything twice
      Given the library holds 2 photos
      And the app has finished backing up the library
      And the library holds a photo "late"
      And the library's change history was pruned
      When the system is given time to finish its work
      Then every photo reached the server exactly once
      And the app did not ask for changes since the expired token again

  @should @app @src:ART
  Rule: PRO-12 Any other error is logged and answered with .failure
    The first scenario makes the system refuse the app's change block with an error the app cannot have
    planned for. An app that checks its access before creating never meets the refusal of the second;
    for it that scenario does not apply.

    Scenario: A change block refused with an unexpected error is answered with .failure
      Given the library holds 2 photos
      And the user turned on backup in the app
      And the system will refuse the app's next change block with internalError
      When the system makes a processing call
      Then the call in which the system refused a change block of the app with an unexpected error was answered .failure

    Scenario: A change block refused because full access was lost is answered with .failure
      Given the library holds 2 photos
      And the app has finished backing up the library
      And the user picked only "picked-late" for limited access
      And the user changed photo library access to limited
      When the system makes a processing call
      Then the call in which the system refused a change block of the app with an unexpected error was answered .failure

    @assume:AMB-25=reject-at-creation
    Scenario: A job creation refused for a destination outside the URL base is answered with .failure
      Given the app's extension declares BackgroundUploadURLBase "https://elsewhere.example.net/"
      And the library holds 2 photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the app returns .failure

  @may @since:27.0 @src:ART @src:D-JEXT-P
  Rule: PRO-13 processJobs is asynchronous but may return without ever suspending
    The SYSTEM side of the permission: it takes the answer of a processJobs that never suspends, and it
    drives one that suspends to its answer.

    @system
    Scenario: A processJobs that never suspends is taken as a complete answer
      Given the extension answers every processing call with .processing
      And the upload extension is enabled
      When the system makes a processing call
      Then the extension's processJobs ran to its answer
      And the system calls the extension within the patience horizon

    @system
    Scenario: A processJobs that suspends before it answers is driven to its answer
      Given the extension's processJobs suspends 3 times before it answers
      And the upload extension is enabled
      When the system makes a processing call
      Then the extension's processJobs ran to its answer
      And the processing call ended without being killed

  @must @system @src:ART
  Rule: PRO-14 Outside Developer Mode each call has a runtime limit and scheduling backs off between attempts

    Scenario: A call that runs on without end is killed
      Given the upload extension is enabled
      And the extension works without end in every processing call
      When the system makes a processing call
      Then the processing call was killed

    Scenario: After repeated .failure answers the system backs off
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      When the system is given time to finish its work
      Then the system backs off between the calls that follow a .failure

    @assume:AMB-18=field
    Scenario: A call that runs past the runtime limit is killed
      Given the upload extension is enabled
      And the extension works for 90 seconds in every processing call
      When the system makes a processing call
      Then the processing call was killed

    @assume:AMB-18=field
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

    @assume:AMB-17=field @assume:AMB-18=field
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
      When the system is given time to finish its work
      Then no processing call was killed
      And no processing call created more upload jobs than the jobLimit
      And every photo reached the server

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
      And the system is given time to finish its work
      Then the server received "trip" 1 time
      And the last upload of "trip" went to "https://backup.example.com/upload/trip"
      And the last upload of "trip" was sent with the original credentials

    Scenario: Uploads go on while the extension answers .failure
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And 2 upload jobs are registered
      When the system is given time to finish its work
      Then job "job-1" is succeeded
      And job "job-2" is succeeded

    Scenario: Jobs the extension creates inside a processing call are uploaded after it
      Given the upload extension is enabled
      And in its next processing call the extension creates an upload job for "made-in-call"
      When the system makes a processing call
      And the system is given time to finish its work
      Then the server received "made-in-call" 1 time

    Scenario: Jobs committed just before the extension is killed are uploaded all the same
      Given the upload extension is enabled
      And in its next processing call the extension creates an upload job for "last-words"
      And the system will kill the extension without notice right after the app commits a change that creates a job
      When the system makes a processing call
      And the system is given time to finish its work
      Then exactly 1 processing call ended in a kill
      And the server received "last-words" 1 time

  @must @untestable @src:ART
  Rule: PRO-18 A fetch result is read through its count and by index, not walked as a Swift sequence
    Untestable: a fact of the Swift language (PHFetchResult does not conform to Sequence, so app code
    indexes it). The contracts hand fetch results over as lists, so neither a Python nor a wire
    implementation can break it; a Swift compiler checks it on the device.

  @must @system @since:27.0 @src:ART
  Rule: PRO-19 Developer Mode lifts the runtime limit, skips the backoff and schedules the extension sooner

    Scenario: With Developer Mode a call that runs on is not killed
      Given Developer Mode is on
      And the upload extension is enabled
      And the extension works without end in every processing call
      When the system makes a processing call
      Then the processing call ended without being killed

    Scenario: Switching Developer Mode on cuts the backoff after .failure
      Given the extension answers every processing call with .failure
      And the upload extension is enabled
      And the system has made 3 processing calls
      When the user switches on Developer Mode
      And the system makes 2 more processing calls of its own accord
      Then the pause between the calls after Developer Mode was switched on is shorter than the pause before it

    @assume:AMB-17=field
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
      When the system is given time to finish its work
      Then job "busy" is failed

    Scenario: With Developer Mode nothing is uploaded without a network
      Given Developer Mode is on
      And the network is unavailable
      And the upload extension is enabled
      And job "offline" is registered
      When the system is given time to finish its work
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
      When the system is given time to finish its work
      Then no processing call was killed
      And every photo reached the server
