Feature: Creation: registering upload jobs and download-only jobs
  Jobs are made and changed only through the upload-job change request, inside a photo-library change
  block. Each job carries one resource and a destination request; a block whose new jobs would go past
  the jobLimit fails as a whole with limitExceeded. From 26.4 a creation request hands back a placeholder
  for the new job, and download-only jobs fetch a resource from iCloud without uploading it. The app
  decides what to upload: it tracks the assets it has handled, finds new ones through persistent change
  tokens and keeps the queue filled up to the limit. Paraphrased from Apple's article, the change-request
  pages and the SDK headers (rules-digest.md section 3.3).

  @must @src:D-CR @src:ART
  Rule: CRE-01 Jobs come into being only through the upload-job change request, which exists only inside a change block

    @system
    Scenario: Creating an upload job with no change block open throws
      Given the upload extension is enabled
      When the app creates an upload job outside a change block
      Then it fails with an exception for a change request outside a change block
      And no job exists for "outside"

    @system @since:26.4
    Scenario: Creating a download-only job with no change block open throws
      Given the upload extension is enabled
      When the app creates a download-only job outside a change block
      Then it fails with an exception for a change request outside a change block
      And no job exists for "outside"

    @system
    Scenario: A creation inside a change block registers the job
      Given the upload extension is enabled
      When the app creates an upload job for "inside"
      Then it succeeds
      And job "inside" is registered

    @app
    Scenario: The reference app creates its jobs inside change blocks
      Given the library holds 3 photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the app created 3 upload jobs
      And the app made every job change inside a change block

  @must @src:ART
  Rule: CRE-02 Retrying, acknowledging and cancelling also happen only while a change block is open

    @system
    Scenario: Asking for a job's change request outside a change block throws
      Given the upload extension is enabled
      And job "done" is succeeded
      When the app acknowledges job "done" outside a change block
      Then it fails with an exception for a change request outside a change block
      And job "done" is succeeded
      And fetching jobs to acknowledge returns "done"

    @system
    Scenario Outline: A change request kept past the end of its block cannot <mutation> a failed job
      Given the upload extension is enabled
      And job "stale" is failed
      When the app calls <mutation>() on a change request for job "stale" kept from an ended change block
      Then it fails with an exception for a change request outside a change block
      And job "stale" is failed
      And fetching jobs to retry returns "stale"

      Examples:
        | mutation    |
        | acknowledge |
        | retry       |

    @system @since:26.4
    Scenario: A change request kept past the end of its block cannot cancel a registered job
      Given the upload extension is enabled
      And job "queued" is registered
      When the app calls cancel() on a change request for job "queued" kept from an ended change block
      Then it fails with an exception for a change request outside a change block
      And job "queued" is registered

    @app
    Scenario: The app retries and acknowledges inside change blocks
      Given the library holds 2 photos
      And the upload of "photo-1" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app made every job change inside a change block
      And no job is left unacknowledged

  @should @src:D-JOB @src:D-CR
  Rule: CRE-03 Jobs are meant to be created by the upload extension while the system is calling it

    @app
    Scenario: The app creates jobs only inside processing calls
      Given the library holds 3 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app created jobs only while the system was calling its extension
      And every photo reached the server

    @app
    Scenario: Turning backup on in the host app creates no job by itself
      Given the library holds 3 photos
      When the user turns on backup in the app
      Then the app enabled the upload extension
      And the app created no upload job

    @system @assume:AMB-10=any-process
    Scenario: The system also accepts a job the host app creates between processing calls
      Given the upload extension is enabled
      When the app creates an upload job for "from-host-app"
      Then it succeeds
      And job "from-host-app" is registered

  @must @app @src:ART
  Rule: CRE-04 A job carries a single resource, so every resource to upload gets its own job

    Scenario: Three photos become three jobs, one per resource
      Given the library holds 3 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app created 3 upload jobs
      And the app created exactly one upload job for each resource

    Scenario: A photo and a video are uploaded by separate jobs
      Given the library holds a photo "still"
      And the library holds a video "clip"
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app created exactly one upload job for each resource
      And the server received "still" 1 time
      And the server received "clip" 1 time

    Scenario: A Live Photo and an edited photo get a job for each of their resources
      Given the library holds a Live Photo "live"
      And the library holds an edited photo "edited"
      And the library holds a photo "plain"
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app created exactly one upload job for each resource
      And every photo reached the server

  @must @app @src:ART
  Rule: CRE-05 A job's destination request names the server endpoint and carries the credentials and metadata the server needs

    Scenario: Uploads arrive at the app's endpoint with the app's credentials
      Given the library holds a photo "sunset"
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the last upload of "sunset" went to the app's upload endpoint
      And the last upload of "sunset" was sent with the original credentials
      And the app recorded "sunset" as uploaded

    Scenario: Jobs created after a credential change carry the new credentials
      Given the library holds 2 photos
      And the app has finished backing up the library
      When the app's credentials are refreshed
      And the user takes a photo "after-refresh"
      And the system is given time to finish its work
      Then the last upload of "after-refresh" was sent with the new credentials
      And the last upload of "photo-1" was sent with the original credentials

    Scenario: Every upload, retried ones included, carries the credentials and the metadata the server needs
      Given the library holds a photo "sunset"
      And the library holds a Live Photo "live"
      And the upload of "sunset" will fail with a timeout
      And the upload of "live/pairedVideo" will fail with a lost connection
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then every upload the server saw carried the app's credentials and the photo's file name
      And the server saw 2 upload attempts of "sunset"

  @must @system @since:26.4 @src:D-CR-NEW @src:D-CR-PH
  Rule: CRE-06 A creation request hands back its change request, whose placeholder names the new job before the block commits

    Scenario: The placeholder read inside the block names the registered job
      Given the upload extension is enabled
      When the app creates an upload job for "portrait" and reads its placeholder inside the change block
      Then it succeeds
      And the placeholder identifies the new job for "portrait"
      And job "portrait" is registered

    Scenario: Two creations in one block get two placeholders, each naming its own job
      Given the upload extension is enabled
      When the app creates 2 upload jobs in one change block
      Then it succeeds
      And the placeholder identifies the new job for "new-1"
      And the placeholder identifies the new job for "new-2"

    @assume:AMB-07=all-or-nothing
    Scenario: A placeholder from a refused change block names no job
      Given the upload extension is enabled
      And every slot under the jobLimit is held by registered jobs
      When the app creates an upload job for "overflow" and reads its placeholder inside the change block
      Then it fails with limitExceeded
      And no job exists for "overflow"

  @must @system @src:D-CR-NEW @src:D-CR-OLD @src:H26.1-CR
  Rule: CRE-07 A change block whose new jobs would take the unacknowledged count past the jobLimit fails with limitExceeded

    Scenario: Creating a job while every slot is taken fails with limitExceeded
      Given the upload extension is enabled
      And every slot under the jobLimit is held by registered jobs
      When the app creates an upload job for "one-too-many"
      Then it fails with limitExceeded
      And no job exists for "one-too-many"
      And exactly 0 more upload jobs fit under the jobLimit

    Scenario: The last free slot under the jobLimit can still be filled
      Given the upload extension is enabled
      And all but 1 slot under the jobLimit are held by registered jobs
      When the app creates an upload job for "last-slot"
      Then it succeeds
      And job "last-slot" is registered
      And exactly 0 more upload jobs fit under the jobLimit

    @assume:AMB-07=all-or-nothing
    Scenario: A block with more new jobs than free slots creates none of them
      Given the upload extension is enabled
      And all but 2 slots under the jobLimit are held by registered jobs
      When the app creates 3 upload jobs in one change block
      Then it fails with limitExceeded
      And exactly 2 more upload jobs fit under the jobLimit

    @assume:AMB-07=all-or-nothing
    Scenario: A block of one job more than the jobLimit leaves the queue empty
      Given the upload extension is enabled
      When the app creates one upload job more than the jobLimit in one change block
      Then it fails with limitExceeded
      And no job is left unacknowledged
      And the whole jobLimit is free for new upload jobs

    @since:26.4 @assume:AMB-07=all-or-nothing
    Scenario: A block refused at the jobLimit applies none of its acknowledgements, retries and cancels either
      Given the upload extension is enabled
      And job "done" is succeeded
      And job "broken" is failed
      And job "queued" is registered
      And the remaining slots under the jobLimit are filled with registered jobs
      When the app acknowledges job "done", retries job "broken", cancels job "queued" and creates 4 upload jobs in one change block
      Then it fails with limitExceeded
      And job "done" is succeeded
      And job "broken" is failed
      And job "queued" is registered

  @must @src:H27-CR @src:H26.1-CR
  Rule: CRE-08 At the limit new jobs fit only after finished jobs are acknowledged; in-flight jobs must finish first

    @system
    Scenario: Jobs that finished but are not acknowledged keep blocking creation
      Given the upload extension is enabled
      And every slot under the jobLimit is held by registered jobs
      When the system is given time to finish its work
      Then job "slot-1" is succeeded
      And exactly 0 more upload jobs fit under the jobLimit

    @system
    Scenario: Acknowledging one finished job makes room for exactly one new job
      Given the upload extension is enabled
      And every slot under the jobLimit is held by succeeded jobs
      When the app acknowledges job "slot-1"
      Then it succeeds
      And exactly 1 more upload jobs fit under the jobLimit

    @system @implementation-defined
    Scenario: A job still in flight cannot be acknowledged to make room
      Given the upload extension is enabled
      And every slot under the jobLimit is held by registered jobs
      When the app acknowledges job "slot-1"
      Then the system refuses the change
      And job "slot-1" is registered
      And exactly 0 more upload jobs fit under the jobLimit

    @system @implementation-defined @assume:AMB-09=change-not-supported
    Scenario: Acknowledging a job still in flight fails with changeNotSupported
      Given the upload extension is enabled
      And every slot under the jobLimit is held by registered jobs
      When the app acknowledges job "slot-1"
      Then it fails with changeNotSupported
      And job "slot-1" is registered

    @app
    Scenario: With more photos than the jobLimit the app acknowledges to make room for the rest
      Given the library holds 120 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app acknowledged 120 jobs
      And every photo reached the server

  @should @app @src:ART
  Rule: CRE-09 After a limitExceeded refusal the app first acknowledges finished jobs, then creates again

    Scenario: The app gets past a full queue by acknowledging before creating again
      Given the library holds 2 photos
      And the user turned on backup in the app
      And every slot under the jobLimit is held by a job for a photo the user has since deleted
      When the system is given time to finish its work
      Then after its change block was refused with limitExceeded the app acknowledged jobs before creating jobs again
      And the server received "photo-1" 1 time
      And the server received "photo-2" 1 time

  @should @app @src:ART
  Rule: CRE-10 New jobs follow the acknowledgement of finished ones and the arrival of new photos

    Scenario: A photo taken after the backup gets a job of its own
      Given the library holds 2 photos
      And the app has finished backing up the library
      When the user takes a photo "fresh"
      And the system is given time to finish its work
      Then the app created 3 upload jobs
      And the server received "fresh" 1 time
      And the server received "photo-1" 1 time

    Scenario: In every call of a long backup the app acknowledges before it creates
      Given the library holds 80 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then within each processing call the app acknowledged finished jobs before it created new ones
      And every photo reached the server

  @should @app @src:ART
  Rule: CRE-11 The app keeps its own record of handled assets and learns of new ones through persistent change tokens

    Scenario: The app learns of a new photo and does not send the old ones again
      Given the library holds 2 photos
      And the app has finished backing up the library
      When the user takes a photo "new-one"
      And the system is given time to finish its work
      Then the server received "new-one" 1 time
      And the server received "photo-1" 1 time

    Scenario: A new extension process after a kill does not upload the library again
      Given the library holds 3 photos
      And the app has finished backing up the library
      And the system will kill the extension without notice after 2 calls into the system in the next processing call
      When the user takes a photo "after-kill"
      And the system is given time to finish its work
      Then every photo reached the server exactly once

  @should @app @src:ART
  Rule: CRE-12 While photos are still waiting, the app keeps the queue filled up to the jobLimit

    Scenario: The first call of a large backup fills every slot under the jobLimit
      Given the library holds 120 photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the app created as many upload jobs as the jobLimit allows

    Scenario: A backup smaller than the jobLimit gets one job per photo in a single call
      Given the library holds 4 photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the app created 4 upload jobs

  @must @system @src:H27-CR @src:D-CR-OLD
  Rule: CRE-13 The 26.1 createJob is deprecated from 26.4 in favour of creationRequestForJob, and both respect the jobLimit

    Scenario: The deprecated createJob still registers an upload job
      Given the upload extension is enabled
      When the app creates an upload job for "legacy" with the deprecated createJob
      Then it succeeds
      And job "legacy" is registered

    Scenario: The deprecated createJob is refused with limitExceeded at the limit
      Given the upload extension is enabled
      And every slot under the jobLimit is held by succeeded jobs
      When the app creates an upload job for "legacy-over" with the deprecated createJob
      Then it fails with limitExceeded
      And no job exists for "legacy-over"

    @since:26.4
    Scenario: creationRequestForJob is refused with limitExceeded at the limit
      Given the upload extension is enabled
      And every slot under the jobLimit is held by failed jobs
      When the app creates an upload job for "modern-over" and reads its placeholder inside the change block
      Then it fails with limitExceeded
      And no job exists for "modern-over"

    @until:26.1
    Scenario: creationRequestForJob does not exist before 26.4
      Given the upload extension is enabled
      When the app creates an upload job for "too-early" and reads its placeholder inside the change block
      Then it fails with an API-unavailable error
      And no job exists for "too-early"

  @must @system @src:H27-T @src:ART
  Rule: CRE-14 An upload job fetches a resource that is only in iCloud before sending it; the app need not download it

    Scenario: A photo kept only in iCloud is uploaded without the app downloading it
      Given the library holds an iCloud-only photo "archive"
      And the upload extension is enabled
      When the app creates an upload job for "archive"
      And the system is given time to finish its work
      Then job "archive" is succeeded
      And the server received "archive" 1 time

    @since:26.4 @assume:AMB-30=failed-retryable
    Scenario: A failed iCloud download fails the upload job and stores nothing on the server
      Given the library holds an iCloud-only photo "unreachable"
      And the upload extension is enabled
      And the upload of "unreachable" will fail with an iCloud download failure
      When the app creates an upload job for "unreachable"
      And the system is given time to finish its work
      Then job "unreachable" is failed
      And job "unreachable" has an error in NSURLErrorDomain
      And the server received "unreachable" 0 times

  @must @system @since:26.4 @src:D-CR-DL
  Rule: CRE-15 A download-only creation request registers a job that only brings the resource onto the device, later and in the background

    Scenario: The download-only creation request returns a change request naming the new job
      Given the library holds an iCloud-only photo "offline-copy"
      And the upload extension is enabled
      When the app creates a download-only job for "offline-copy" and reads its placeholder inside the change block
      Then it succeeds
      And the placeholder identifies the new job for "offline-copy"
      And job "offline-copy" is a download-only job
      And job "offline-copy" is registered

    @assume:AMB-08=counted
    Scenario: A download-only job finishes without sending anything to the server
      Given the library holds an iCloud-only photo "to-edit"
      And the upload extension is enabled
      When the app creates a download-only job for "to-edit"
      And the system is given time to finish its work
      Then job "to-edit" is succeeded
      And the server received no upload
      And job "to-edit" has no response headers

    @assume:AMB-08=counted
    Scenario: A download-only job takes a slot under the jobLimit
      Given the upload extension is enabled
      And all but 1 slot under the jobLimit are held by registered jobs
      When the app creates a download-only job for "local-only"
      Then it succeeds
      And exactly 0 more upload jobs fit under the jobLimit

  @must @system @since:26.4 @src:D-CR-DL @src:ART
  Rule: CRE-16 A download-only job passes through the same states as an upload job; succeeded means the download is done

    Scenario: A started download-only job is pending
      Given the upload extension is enabled
      And download-only job "dl" is registered
      When the system starts the upload of job "dl"
      Then job "dl" is pending
      And job "dl" is a download-only job

    Scenario: A finished download-only job is succeeded and waits to be acknowledged
      Given the upload extension is enabled
      And download-only job "dl-done" is pending
      When the system is given time to finish its work
      Then job "dl-done" is succeeded
      And fetching jobs to acknowledge returns "dl-done"

    Scenario: A download-only job that cannot reach iCloud is failed and can be retried
      Given the upload extension is enabled
      And download-only job "dl-fail" is registered
      When the upload of job "dl-fail" ends with an iCloud download failure
      Then job "dl-fail" is failed
      And job "dl-fail" has an error in NSURLErrorDomain
      And fetching jobs to retry returns "dl-fail"

    Scenario: An acknowledged download-only job is gone
      Given the upload extension is enabled
      And download-only job "dl-ack" is succeeded
      When the app acknowledges job "dl-ack"
      Then it succeeds
      And job "dl-ack" no longer exists

  @may @system @since:26.4 @src:D-CR-DL @src:ART
  Rule: CRE-17 The system may later purge what a download-only job fetched, so the app uses it promptly or uploads it with an upload job
    When the system purges a downloaded copy is its own choice and has no observable contract, and the
    model never purges; the scenario checks the way out Apple recommends: an upload job for the same
    resource after the download-only job.

    Scenario: An upload job can follow a finished download-only job for the same photo
      Given the library holds an iCloud-only photo "keep"
      And the upload extension is enabled
      And download-only job "keep" is succeeded
      When the app acknowledges job "keep"
      And the app creates an upload job for "keep"
      And the system is given time to finish its work
      Then job "keep" is succeeded
      And job "keep" is an upload job
      And the server received "keep" 1 time

  @may @system @since:26.4 @src:D-CR-DL
  Rule: CRE-18 Download-only jobs serve workflows that need the resource locally first, and their progress is read with fetchJobs

    @since:26.5
    Scenario: A download-only job in progress is fetched for the process action
      Given the upload extension is enabled
      And download-only job "prep" is pending
      Then fetching jobs to process returns "prep"
      And fetching jobs to acknowledge returns no job

    Scenario: A finished download-only job is fetched for the acknowledge action
      Given the upload extension is enabled
      And download-only job "prep-done" is registered
      When the system is given time to finish its work
      Then fetching jobs to acknowledge returns "prep-done"
      And fetching jobs to retry returns no job
