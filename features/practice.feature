Feature: Recommended practice: what a good backup app does beyond the rules
  Apple's texts leave an app free in many places; a backup app that uses that freedom well loses no
  photo and wastes no work. The rules below are not in the digest's catalogue and never count toward
  the conformance verdict: they are scored on their own ("recommended practice"), shown apart in every
  report, and fail the gate only with `--require-practice`. Each names the documented rules it serves.
  Losing a photo silently is the worst thing a backup app can do, so most of them are about that.

  @practice @app @src:ART
  Rule: PRC-01 A photo whose one retry also failed is queued again, so it still reaches the server
    Serves RET-01 (one retry per job) and ACK-02 (acknowledge failures too): after the retry is spent the
    job can only be acknowledged, and the photo is lost unless the app makes a new job for it.

    Scenario: A photo whose retry failed as well is sent again in a new job
      Given the library holds a photo "flaky"
      And the next 2 uploads of "flaky" will end with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then every photo is uploaded exactly once and recorded by the app
      And no job is left unacknowledged

  @practice @app @src:ART
  Rule: PRC-02 The app records an upload as done only when the server really stored it
    Serves ACK-05 (confirm the status with the server before acknowledging) and ACK-06 (read the response
    headers): a ledger that claims a photo the server never kept means that photo is never sent again.

    @since:26.4
    Scenario: A success the server cannot confirm is not recorded, and the photo is sent again
      Field scenario 8: the server answered before it read the body, so it stored nothing.
      Given the library holds a photo "early"
      And the next 1 uploads of "early" will end with an early answer
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app recorded nothing the server did not store
      And every photo is uploaded exactly once and recorded by the app
      And no job is left unacknowledged

    @since:26.4
    Scenario: Headers showing the server kept a failed upload spare a second upload
      Field scenario 7: the server stored the photo and still answered with an error.
      Given the library holds a photo "kept"
      And the server will answer the upload of "kept" with HTTP 500 after storing it
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app recorded "kept" as uploaded with the server id "srv-kept"
      And the server saw 1 upload attempt of "kept"
      And no job is left unacknowledged

  @practice @app @src:ART
  Rule: PRC-03 After the change history was pruned the app re-syncs and keeps backing up new photos
    Serves CRE-11 and PRO-11: an app that loses its change token must not stop uploading for good.

    Scenario: Photos taken after the history was pruned are still backed up
      Given the library holds 2 photos
      And the app has finished backing up the library
      And the library's change history was pruned
      When the user takes a photo "after-pruning"
      And the system is given time to finish its work
      Then every photo is uploaded exactly once and recorded by the app
      And the app recorded nothing the server did not store

  @practice @app @src:ART
  Rule: PRC-04 A photo the server keeps refusing is reported to the user, not sent again and again
    Serves RET-07 (acknowledge permanent failures instead of retrying) and ACK-02.

    Scenario: A photo refused with HTTP 400 is reported as failed and not recorded
      Given the library holds a photo "refused"
      And the library holds a photo "fine"
      And the next 6 uploads of "refused" will end with HTTP 400
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app reported "refused" as failed
      And the app did not record "refused" as uploaded
      And the app recorded "fine" as uploaded
      And no job is left unacknowledged

    @since:26.4
    Scenario: A video the server refuses as too large is sent once and reported
      Given the library holds a video "huge"
      And the next 3 uploads of "huge" will end with HTTP 400
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app reported "huge" as failed
      And the server saw 1 upload attempt of "huge"
      And no job is left unacknowledged

  @practice @app @src:ART
  Rule: PRC-05 Finished jobs the app's records do not know are taken into its records, not just dropped
    Serves ACK-08 and STA-13: a job made by another process of the app (or before a lost bookkeeping)
    carries a photo the server now holds; recording it spares a second upload.

    Scenario: A finished job of unknown origin with a server id ends in the app's records
      Given the user turned on backup in the app
      And job "stray" succeeded with response header "X-Server-Id" set to "srv-stray"
      When the system is given time to finish its work
      Then no job is left unacknowledged
      And the app recorded "stray" as uploaded
      And the server received "stray" 1 time

  @practice @app @since:26.4 @src:ART
  Rule: PRC-06 A job that failed for want of credentials is sent again with fresh ones once the app has them
    Serves RET-02 and RET-07: the article's sample acknowledges an authentication failure as permanent,
    which leaves the photo behind; a retry (or a new job) with the refreshed credentials saves it.

    Scenario: After the credentials are refreshed, a photo refused with HTTP 401 is sent with the new ones
      Given the user turned on backup in the app
      And job "locked-out" failed with HTTP 401
      When the app's credentials are refreshed
      And the system is given time to finish its work
      Then the last upload of "locked-out" was sent with the new credentials
      And the app recorded "locked-out" as uploaded
      And no job is left unacknowledged

  @practice @app @src:ART
  Rule: PRC-07 The app does not ask for jobs the system will refuse
    Serves CON-02, CRE-08 and LIM-05: reading its access and the jobLimit first spares change blocks that
    can only fail (and the log noise they make on a device).

    @world:AMB-13=continues
    Scenario: Once access is limited the app asks for no job it cannot have
      Given the library holds 2 photos
      And the app has finished backing up the library
      And the user picked only "after-downgrade" for limited access
      When the user changes photo library access to limited
      And the system is given time to finish its work
      Then the system refused no change block of the app

    Scenario: A library larger than the jobLimit is backed up without a refused change block
      Given the library holds 120 photos
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the system refused no change block of the app
      And every photo is uploaded exactly once and recorded by the app
