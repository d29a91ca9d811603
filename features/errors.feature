Feature: Errors: what PhotoKit reports when a request cannot be carried out
  A change block that would take the unacknowledged jobs past the jobLimit fails with limitExceeded;
  enabling, disabling and option writes report failures as thrown PhotoKit errors; a failed job carries
  a sanitised URL error; an expired persistent change token and a nested change block are reported as
  well. Which codes a refused enable carries is not documented (AMB-12). Paraphrased from the
  PHPhotosError pages, the article and the SDK headers (rules-digest.md section 3.11).

  @must @system @src:D-ERR @src:D-CR-NEW @src:ART
  Rule: ERR-01 A change block that would go past the jobLimit fails with limitExceeded, for creations and retries

    Scenario Outline: Creating a job while <state> jobs hold every slot fails with limitExceeded
      Given the upload extension is enabled
      And every slot under the jobLimit is held by <state> jobs
      When the app creates an upload job for "past-the-limit"
      Then it fails with limitExceeded
      And no job exists for "past-the-limit"

      Examples:
        | state      |
        | registered |
        | pending    |
        | failed     |

    @assume:AMB-07=all-or-nothing
    Scenario: A block creating one job more than the jobLimit fails with limitExceeded and registers none
      Given the upload extension is enabled
      When the app creates one upload job more than the jobLimit in one change block
      Then it fails with limitExceeded
      And the whole jobLimit is free for new upload jobs

    Scenario: Creating the job that fills the last slot raises no error
      Given the upload extension is enabled
      And all but 1 slot under the jobLimit are held by succeeded jobs
      When the app creates an upload job for "last-free-slot"
      Then it succeeds
      And job "last-free-slot" is registered

    @since:26.4 @assume:AMB-08=counted
    Scenario: A download-only creation past the jobLimit fails with limitExceeded
      Given the upload extension is enabled
      And every slot under the jobLimit is held by registered jobs
      When the app creates a download-only job for "download-past-the-limit"
      Then it fails with limitExceeded
      And no job exists for "download-past-the-limit"

    @assume:AMB-02=retry-checks-limit
    Scenario: In the article's reading a retry with every slot taken fails with limitExceeded
      Given the upload extension is enabled
      And job "lost-then-full" failed with a lost connection
      And every slot under the jobLimit is held by succeeded jobs
      When the app retries job "lost-then-full" keeping its destination
      Then it fails with limitExceeded
      And job "lost-then-full" is failed

    @assume:AMB-02=retry-keeps-slot
    Scenario: In the header's reading a retry with every slot taken raises no error
      Given the upload extension is enabled
      And job "lost-but-kept" failed with a lost connection
      And every slot under the jobLimit is held by succeeded jobs
      When the app retries job "lost-but-kept" keeping its destination
      Then it succeeds
      And job "lost-but-kept" is registered

  @must @system @src:H27-L
  Rule: ERR-02 Enabling, disabling and setting options signal failure by throwing an error

    Scenario: A refused enable throws a PhotoKit error through the profile's enabling API
      Given photo library access is denied
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled

    @field
    Scenario: A disable refused under limited access throws a PhotoKit error
      Field (AMB-12): under limited access a device refused every enable and disable write with 3311.
      Given the upload extension is enabled
      And the user changed photo library access to limited
      When the host app disables the upload extension
      Then it fails with a PhotoKit error

    @since:27.0
    Scenario: Setting options with no configuration throws a PhotoKit error
      Given photo library access is authorized
      When the host app sets freshly created options
      Then it fails with a PhotoKit error
      And the extension options are nil

    @since:27.0
    Scenario: Setting options as a caller that lost authorisation throws a PhotoKit error
      Given the upload extension is enabled
      And the user changed photo library access to denied
      When the host app sets freshly created options
      Then it fails with a PhotoKit error

  @must @system @since:26.4 @src:H27-J
  Rule: ERR-03 A failed job exposes a sanitised NSURLErrorDomain error

    Scenario Outline: A job that failed with <outcome> carries a URL error
      Given the upload extension is enabled
      And job "broken-link" failed with <outcome>
      Then job "broken-link" is failed
      And job "broken-link" has an error in NSURLErrorDomain

      Examples:
        | outcome           |
        | a timeout         |
        | a lost connection |
        | HTTP 400          |
        | HTTP 401          |
        | HTTP 500          |

    @assume:AMB-23=digest
    Scenario Outline: A job the server answered with <outcome> carries the URL error <code>
      Given the upload extension is enabled
      And job "rejected-upload" failed with <outcome>
      Then job "rejected-upload" is failed
      And job "rejected-upload" has the error <code>

      Examples:
        | outcome           | code                       |
        | a timeout         | timedOut                   |
        | a lost connection | networkConnectionLost      |
        | HTTP 400          | badServerResponse          |
        | HTTP 401          | userAuthenticationRequired |
        | HTTP 500          | badServerResponse          |

    Scenario: A job that succeeded carries no error
      Given the upload extension is enabled
      And job "clean-upload" is succeeded
      Then job "clean-upload" has no error

  @must @system @src:ART
  Rule: ERR-04 persistentChangeTokenExpired tells the app that the change history no longer reaches back to its token

    Scenario: A token saved before the history was pruned has expired
      Given photo library access is authorized
      And the library holds a photo "before-pruning"
      And the app saved the library's current change token
      And the library's change history was pruned
      When the app asks for the changes since its saved token
      Then it fails with persistentChangeTokenExpired

    Scenario: A token still covered by the history answers with the changes since it
      Given photo library access is authorized
      And the app saved the library's current change token
      And the library holds a photo "after-saving"
      When the app asks for the changes since its saved token
      Then it succeeds
      And the changes list "after-saving" as inserted

    Scenario: A token read after pruning is valid again
      Given photo library access is authorized
      And the library's change history was pruned
      And the app saved the library's current change token
      And the library holds a photo "after-pruning"
      When the app asks for the changes since its saved token
      Then it succeeds
      And the changes list "after-pruning" as inserted

  @must @src:H27-L @src:H26.1-L
  Rule: ERR-05 Opening a change block while another is still open raises an exception

    @system
    Scenario: A change block opened inside another raises an exception
      Given the upload extension is enabled
      When the app opens a change block inside another
      Then it fails with an exception for a nested change block

    @app
    Scenario: Through a backup with a failure the app never opens a change block inside another
      Given the library holds 3 photos
      And the upload of "photo-1" will fail with a timeout
      And the user turned on backup in the app
      When the system is given time to finish its work
      Then the app never opened a change block inside another
      And every photo reached the server

  @info @system @implementation-defined @src:HERR @src:D-LIB-SET
  Rule: ERR-06 Which error codes come with a refused enable is not documented
    AMB-12: any error is accepted; the codes devices showed (accessUserDenied 3311 without full access,
    internalError -1 in the Simulator or without a usable BackgroundUploadURLBase) are field
    observations, run with `--field`. uploadJobExtensionEnabled stays false after any refused enable.

    @field
    Scenario Outline: An enable refused while access is <access> carries accessUserDenied
      Given photo library access is <access>
      When the host app enables the upload extension
      Then it fails with accessUserDenied
      And the upload extension is not enabled

      Examples:
        | access  |
        | limited |
        | denied  |

    @field @platform:ios
    Scenario: An enable refused in the Simulator carries internalError
      Given the app runs in the iOS Simulator
      And photo library access is authorized
      When the host app enables the upload extension
      Then it fails with internalError
      And the upload extension is not enabled

    @field
    Scenario: An enable refused for a missing BackgroundUploadURLBase carries internalError
      Given the app's extension declares no BackgroundUploadURLBase
      And photo library access is authorized
      When the host app enables the upload extension
      Then it fails with internalError
      And the upload extension is not enabled

    Scenario: An enable refused for a missing extension leaves the feature off
      Given the app is installed without an extension registered for the background-upload extension point
      And photo library access is authorized
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled
