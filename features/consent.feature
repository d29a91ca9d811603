Feature: Consent: photo library authorisation, full versus limited access, and losing access
  Background uploads run only for an app the user has given full read-write access to the photo
  library. The host app asks for that access and enables the feature only when it was granted; the
  system refuses to enable, and hides options from, any caller without it. What happens when the user
  takes access away after enabling is not documented (AMB-13); the scenarios check both readings.
  Paraphrased from Apple's article, the PHPhotoLibrary and PHAuthorizationStatus pages and the 27 SDK
  headers (rules-digest.md section 3.2).

  @must @src:D-LIB-SET @src:ART
  Rule: CON-01 Only an app with full photo library access can switch background uploads on

    @system
    Scenario: Enabling with full access succeeds
      Given photo library access is authorized
      When the host app enables the upload extension
      Then it succeeds
      And the upload extension is enabled

    @system
    Scenario Outline: Enabling while access is <access> is refused
      Given the library holds 2 photos
      And photo library access is <access>
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled
      And the system does not call the extension within the patience horizon

      Examples:
        | access         |
        | limited        |
        | denied         |
        | restricted     |
        | not determined |

    @app
    Scenario: The app keeps background uploads off when the user grants only limited access
      Given the library holds 2 photos
      And the user will answer the access request with limited
      When the user turns on backup in the app
      Then the app never tried to enable the upload extension
      And the upload extension is not enabled
      And the system does not call the extension within the patience horizon

  @must @app @src:ART
  Rule: CON-02 The host app asks for read-write access and enables only when the answer is authorized

    Scenario: The app asks for access first and enables once it is authorized
      Given the library holds 1 photos
      And the user will answer the access request with authorized
      When the user turns on backup in the app
      Then the app asked for read-write access before enabling
      And the app enabled the upload extension
      And the upload extension is enabled

    Scenario Outline: The app treats an answer of <access> as not authorised and does not enable
      Given the library holds 2 photos
      And the user will answer the access request with <access>
      When the user turns on backup in the app
      Then the app asked for read-write access before enabling
      And the app never tried to enable the upload extension
      And the app created no upload job

      Examples:
        | access     |
        | limited    |
        | denied     |
        | restricted |

    Scenario: The app does not enable when access had already been limited before it asked
      Given the library holds 2 photos
      And photo library access is limited
      When the user turns on backup in the app
      Then the app never tried to enable the upload extension
      And the upload extension is not enabled

  @must @src:ART
  Rule: CON-03 The extension reaches photos only through the app's authorisation, which the host app obtains before enabling

    @app
    Scenario: Access obtained by the host app lets the extension back up the library
      Given the library holds 2 photos
      And the user will answer the access request with authorized
      When the user turns on backup in the app
      And the system is given time to finish its work
      Then the app asked for read-write access before enabling
      And every photo reached the server

    @system
    Scenario: With full access the whole library is visible
      Given the library holds 3 photos
      And photo library access is authorized
      Then the app sees 3 photos in the library

    @system
    Scenario: Before access is settled no photo is visible
      Given the library holds 3 photos
      And photo library access is not determined
      Then the app sees 0 photos in the library

  @must @system @src:D-AUTH @src:D-PRIV
  Rule: CON-04 Limited access covers only the photos the user picked and never counts as full access

    Scenario: Limited access shows only the picked photo
      Given the library holds 3 photos
      And the user picked only "chosen" for limited access
      And photo library access is limited
      Then the app sees only "chosen" in the library

    Scenario: Limited access with every photo picked still cannot enable
      Given the user picked only "everything" for limited access
      And photo library access is limited
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled
      And the app sees only "everything" in the library

  @must @system @src:D-PRIV @src:D-AUTH
  Rule: CON-05 The library opens only after the user explicitly authorises the app; restricted means the user cannot grant access

    Scenario: The user's explicit authorisation is what opens the library
      Given the library holds 2 photos
      And the user will answer the access request with authorized
      When the app requests photo library access
      Then photo library access reads authorized
      And the app sees 2 photos in the library

    Scenario: A denied app sees no photo
      Given the library holds 2 photos
      And photo library access is denied
      Then the app sees 0 photos in the library

    Scenario: Asking again does not lift a restriction
      Given the library holds 2 photos
      And photo library access is restricted
      And the user will answer the access request with authorized
      When the app requests photo library access
      Then photo library access reads restricted
      And the app sees 0 photos in the library

    Scenario: A restricted app cannot enable background uploads
      Given photo library access is restricted
      When the host app enables the upload extension
      Then it fails with a PhotoKit error
      And the upload extension is not enabled

  @must @system @since:27.0 @src:D-LIB-OPT @src:H27-L
  Rule: CON-06 A caller without authorisation reads nil options and cannot set them

    Scenario Outline: Options read nil once access is <access>
      Given the upload extension is enabled with expensive network access prevented
      When the user changes photo library access to <access>
      Then the extension options are nil

      Examples:
        | access     |
        | limited    |
        | denied     |
        | restricted |

    Scenario Outline: Setting options while access is <access> is refused
      Given the upload extension is enabled
      And the user changed photo library access to <access>
      When the host app sets options that prevent expensive network access
      Then it fails with a PhotoKit error

      Examples:
        | access     |
        | limited    |
        | denied     |
        | restricted |

    Scenario: An authorised caller reads and sets its options
      Given the upload extension is enabled
      When the host app sets options that prevent expensive network access
      Then it succeeds
      And the extension options prevent expensive network access

  @must @system @src:H27-L
  Rule: CON-07 Registering a persistent-changes observer needs read-write authorisation

    @since:27.0
    Scenario: With full access the observer registers
      Given photo library access is authorized
      When the app registers a persistent-changes observer
      Then it succeeds

    @since:27.0
    Scenario Outline: Without full access registering the observer fails (<access>)
      Given photo library access is <access>
      When the app registers a persistent-changes observer
      Then it fails with a PhotoKit error

      Examples:
        | access         |
        | limited        |
        | denied         |
        | not determined |

    @until:26.5
    Scenario: Before 27 the observer API does not exist
      Given photo library access is authorized
      When the app registers a persistent-changes observer
      Then it fails with an API-unavailable error

  @info @system @untestable @src:NEWS
  Rule: CON-08 Press reports speak of parts that need explicit consent and parts that run on their own once enabled
    Untestable: a press claim with no Apple text behind it (AMB-32); there is no documented consent step
    beyond full library access and the app's enable call, so nothing a SYSTEM does could confirm or
    contradict it. CON-01, CON-02 and ACT-10 check the consent gate Apple does document.

  @info @implementation-defined @src:D-LIB-EN @src:H27-L
  Rule: CON-09 What losing or narrowing access after enabling does is not documented
    AMB-13: the configuration survives, new jobs and option writes are refused, and whether the
    system keeps calling the extension is the open point: `continues` (the field observation, default)
    or `stops`.

    @system
    Scenario Outline: The configuration outlives a spell of <access> access
      Given the upload extension is enabled
      And the user changed photo library access to <access>
      When the user changes photo library access to authorized
      Then the upload extension is enabled

      Examples:
        | access  |
        | limited |
        | denied  |

    @system @since:27.0
    Scenario: Options survive a spell of limited access
      Given the upload extension is enabled with expensive network access prevented
      And the user changed photo library access to limited
      When the user changes photo library access to authorized
      Then the extension options prevent expensive network access

    @system
    Scenario Outline: No new job can be registered while access is <access>
      Given the upload extension is enabled
      And the user changed photo library access to <access>
      When the app creates an upload job for "refused"
      Then it fails with a PhotoKit error
      And no job exists for "refused"

      Examples:
        | access  |
        | limited |
        | denied  |

    @system @assume:AMB-13=continues
    Scenario Outline: The extension is still called after access became <access>
      Given the upload extension is enabled
      And the system has made its first processing call
      And the user changed photo library access to <access>
      When the user takes a photo "taken-after-change"
      Then the system calls the extension within the patience horizon

      Examples:
        | access  |
        | limited |
        | denied  |

    @system @assume:AMB-13=stops
    Scenario Outline: The extension is no longer called after access became <access>
      Given the upload extension is enabled
      And the system has made its first processing call
      And the user changed photo library access to <access>
      When the user takes a photo "taken-after-loss"
      Then the system does not call the extension within the patience horizon

      Examples:
        | access  |
        | limited |
        | denied  |

    @system @assume:AMB-13=stops
    Scenario: Calls held back during limited access resume once full access is back
      Given the upload extension is enabled
      And the system has made its first processing call
      And the user changed photo library access to limited
      And the library holds a photo "waiting-for-access"
      When the user changes photo library access to authorized
      Then the system calls the extension within the patience horizon
