Feature: Activation: turning background uploads on and off
  The host app switches the feature on and off for its own configuration. The system calls the upload
  extension only while the feature is enabled and active, and refuses to enable an app whose bundle or
  environment does not qualify. Paraphrased from Apple's article and the PHPhotoLibrary pages
  (rules-digest.md section 3.1). Apple gives no delays: "calls the extension" means within the run's
  patience horizon (AMB-17, documented reading); the field delays are checked only under
  `--assume AMB-17=field`.

  @must @src:ART @src:D-LIB-SET
  Rule: ACT-01 The system does not call the extension until the host app has enabled the feature

    @system
    Scenario: No processing call while the feature was never enabled
      Given the library holds 3 photos
      And photo library access is authorized
      Then the system does not call the extension within the patience horizon

    @system
    Scenario: A processing call follows the enable
      Given the library holds 3 photos
      And the upload extension is enabled
      Then the system calls the extension within the patience horizon

    @system @assume:AMB-17=field
    Scenario: The first processing call follows the enable within seconds
      Given the library holds 3 photos
      And the upload extension is enabled
      Then the system calls the extension within 10 seconds

    @app
    Scenario: The app enables the feature before it expects any processing call
      Given the library holds 2 photos
      And the user will answer the access request with authorized
      When the user turns on backup in the app
      Then the app enabled the upload extension
      And the upload extension is enabled

  @must @app @untestable @src:ART
  Rule: ACT-02 The host app enables the feature on the shared photo library instance
    Untestable: the contracts expose a single library object, so which PHPhotoLibrary instance a Swift
    app calls cannot be observed from outside the device; code review or a device trace is needed.

  @must @src:D-LIB-SET @src:H27-L
  Rule: ACT-03 The feature is enabled before any upload job is created

    @system
    Scenario: Creating a job without an enabled configuration is refused
      Given photo library access is authorized
      When the app creates an upload job for "early"
      Then the system refuses the change
      And no job exists for "early"

    @system @field
    Scenario: Creating a job without an enabled configuration raises an exception
      Field (a Simulator report, AMB-10): the creation raised NSInvalidArgumentException instead of an error.
      Given photo library access is authorized
      When the app creates an upload job for "early-exception"
      Then it fails with a precondition failure

    @app
    Scenario: The app enables before it creates its first job
      Given the library holds 2 photos
      And the user turned on backup in the app
      When 1 hour passes
      Then the app enabled the upload extension before creating its first job

  @must @system @src:D-LIB-SET
  Rule: ACT-04 Enabling requires an extension registered for the background-upload extension point

    Scenario: Enabling an app that ships no upload extension fails
      Given the app is installed without an extension registered for the background-upload extension point
      And photo library access is authorized
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled

  @must @app @untestable @src:ART
  Rule: ACT-05 The extension's Info declares the extension point com.apple.photos.background-upload
    Untestable: Info.plist contents are bundle metadata read by the OS at install time; the suite
    checks their effect (ACT-04) but cannot read a team's bundle.

  @must @system @src:ART
  Rule: ACT-06 The extension's Info carries BackgroundUploadURLBase, which the system needs to validate network access

    Scenario: Enabling fails when BackgroundUploadURLBase is missing
      Given the app's extension declares no BackgroundUploadURLBase
      And photo library access is authorized
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled

    @field
    Scenario: Enabling fails when BackgroundUploadURLBase has no scheme or host
      Field (a decompiled 26.1 system): a base without scheme or host is refused like a missing one.
      Given the app's extension declares BackgroundUploadURLBase "backup.example.com"
      And photo library access is authorized
      When the host app enables the upload extension
      Then it fails with a PhotoKit error

    Scenario: Enabling succeeds with a complete BackgroundUploadURLBase
      Given the app's extension declares BackgroundUploadURLBase "https://backup.example.com/"
      And photo library access is authorized
      When the host app enables the upload extension
      Then it succeeds
      And the upload extension is enabled

  @must @app @src:ART @src:D-EXT @src:D-JEXT
  Rule: ACT-07 The extension's principal class adopts the upload-extension protocol of its OS and answers processing calls

    Scenario: The extension answers a processing call through its profile's protocol
      Given the library holds 1 photos
      And the user turned on backup in the app
      When the system makes a processing call
      Then the processing call ended without being killed
      And the app answered the processing call with exactly one result

    Scenario: The extension takes a termination notice through its profile's protocol
      Given the library holds 1 photos
      And the user turned on backup in the app
      And the system will send a termination notice right after the next processing call
      When the system makes a processing call
      Then the app answered the processing call with exactly one result
      And the extension took the termination notice

  @must @app @since:27.0 @src:ART @src:D-JEXT
  Rule: ACT-08 On macOS and Mac Catalyst only the asynchronous job-extension protocol exists

    Scenario: The extension answers processJobs on a 27 system
      Given the user turned on backup in the app
      When the system makes a processing call
      Then the app answered the processing call with exactly one result

  @must @system @platform:ios @src:ART
  Rule: ACT-09 The feature is not available in the iOS Simulator

    Scenario: Enabling in the Simulator fails
      Given the app runs in the iOS Simulator
      And photo library access is authorized
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled

  @must @system @src:D-LIB-SET
  Rule: ACT-10 Enabling allows the system to call the extension; disabling stops those calls

    Scenario: Disabling stops processing calls
      Given the library holds 3 photos
      And the upload extension is enabled
      When the host app disables the upload extension
      Then it succeeds
      And the system does not call the extension within the patience horizon

    Scenario: Enabling again resumes processing calls
      Given the upload extension is enabled
      And the host app disabled the upload extension
      When the host app enables the upload extension
      Then the system calls the extension within the patience horizon

  @must @system @src:H27-L
  Rule: ACT-11 A failed enable or disable reports an error

    Scenario: Enabling without full access reports an error
      Given photo library access is denied
      When the host app enables the upload extension
      Then it fails with a PhotoKit error

  @must @system @src:D-LIB-EN
  Rule: ACT-12 uploadJobExtensionEnabled is true exactly when the feature is enabled and active

    Scenario: Never enabled reads false
      Given photo library access is authorized
      Then the upload extension is not enabled

    Scenario: Enabled with full access reads true
      Given the upload extension is enabled
      Then the upload extension is enabled

    Scenario: Enabled but no longer with full access reads false
      Given the upload extension is enabled
      When the user changes photo library access to limited
      Then the upload extension is not enabled

    Scenario: Disabled reads false
      Given the upload extension is enabled
      When the host app disables the upload extension
      Then the upload extension is not enabled

  @may @app @untestable @src:D-LIB-EN @src:ART
  Rule: ACT-13 The host app may read uploadJobExtensionEnabled to learn the processing status
    Untestable: a permission. An app that reads the flag and one that does not are both within the
    rule, so no behaviour could fail it; ACT-12 checks that the SYSTEM answers the flag truthfully.

  @must @app @src:ART @src:H27-L
  Rule: ACT-14 To stop background processing the host app disables the feature

    Scenario: After the app turns backup off no processing call follows
      Given the library holds 2 photos
      And the app has finished backing up the library
      When the user signs out of the app
      Then the app disabled the upload extension
      And the upload extension is not enabled
      And the system does not call the extension within the patience horizon

  @must @system @src:ART
  Rule: ACT-15 Uploads are processed only while the extension is enabled

    Scenario: Registered jobs are not uploaded after the feature is disabled
      Given the upload extension is enabled
      And 3 upload jobs are registered
      When the host app disables the upload extension
      And the system is given time to finish its work
      Then the server received no upload

  @should @app @src:ART
  Rule: ACT-16 Apps disable the extension when the user signs out or turns cloud sync off

    Scenario: Signing out disables the extension
      Given the user turned on backup in the app
      When the user signs out of the app
      Then the app disabled the upload extension

  @must @system @since:27.0 @src:D-LIB-EN27
  Rule: ACT-17 Enabling with options creates the configuration and its options in one change; nil means defaults

    Scenario: Enabling with options applies them at once
      Given photo library access is authorized
      When the host app enables the upload extension with expensive network access prevented
      Then it succeeds
      And the extension options prevent expensive network access

    Scenario: Enabling with nil options gives default values
      Given the upload extension is enabled
      Then the extension options hold default values

    Scenario: Options set after enabling are a separate change
      Given the upload extension is enabled
      When the host app sets options that prevent expensive network access
      Then it succeeds
      And the extension options prevent expensive network access

  @must @system @since:27.0 @src:H27-L
  Rule: ACT-18 A failed enableUploadJobExtension or disableUploadJobExtension reports an error

    Scenario: Enabling under limited access reports an error
      Given photo library access is limited
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled

  @must @system @since:27.0 @src:D-LIB-OPT
  Rule: ACT-19 uploadJobExtensionOptions is nil unless the feature is enabled for an authorised caller

    Scenario: Options are nil before enabling
      Given photo library access is authorized
      Then the extension options are nil

    Scenario: Options are nil for a caller without full access
      Given the upload extension is enabled
      When the user changes photo library access to denied
      Then the extension options are nil

  @must @system @since:27.0 @src:H27-L
  Rule: ACT-20 Setting options fails without a configuration or without authorisation

    Scenario: Setting options before enabling fails
      Given photo library access is authorized
      When the host app sets options that prevent expensive network access
      Then it fails with a PhotoKit error

    Scenario: Setting options without full access fails
      Given the upload extension is enabled
      And the user changed photo library access to limited
      When the host app sets options that prevent expensive network access
      Then it fails with a PhotoKit error

  @must @system @since:27.0 @src:D-LIB-SETOPT
  Rule: ACT-21 Freshly created options reset every option to its default

    Scenario: Setting fresh options resets expensive-network prevention
      Given the upload extension is enabled with expensive network access prevented
      When the host app sets freshly created options
      Then it succeeds
      And the extension options hold default values

  @must @system @since:27.0 @src:D-OPT @src:H27-O
  Rule: ACT-22 preventsExpensiveNetworkAccess defaults to false

    Scenario: Default options allow expensive networks
      Given photo library access is authorized
      When the host app enables the upload extension
      Then the extension options hold default values

  @must @system @since:27.0 @src:D-OPT
  Rule: ACT-23 With preventsExpensiveNetworkAccess the service works only on non-expensive networks

    Scenario: No upload over cellular when expensive access is prevented
      Given the upload extension is enabled with expensive network access prevented
      And the network is cellular
      And 2 upload jobs are registered
      When the system is given time to finish its work
      Then the server received no upload

    Scenario: Uploads resume on Wi-Fi
      Given the upload extension is enabled with expensive network access prevented
      And the network is cellular
      And job "wifi-only" is registered
      When the network becomes Wi-Fi
      And the system is given time to finish its work
      Then job "wifi-only" is succeeded

  @must @system @src:D-LIB-OPT @src:D-LIB-SETOPT
  Rule: ACT-24 Options and the enabled state belong to the calling app's single configuration

    Scenario: Enabling twice keeps one configuration, with its jobs and its jobLimit
      Given the upload extension is enabled
      And job "kept" is succeeded
      And all but 1 slot under the jobLimit are held by registered jobs
      When the host app enables the upload extension
      Then it succeeds
      And the upload extension is enabled
      And fetching jobs to acknowledge returns "kept"
      And exactly 1 more upload jobs fit under the jobLimit

    @since:27.0
    Scenario: Enabling again with options replaces the options of the one configuration
      Given the upload extension is enabled
      When the host app enables the upload extension with expensive network access prevented
      Then it succeeds
      And the extension options prevent expensive network access
