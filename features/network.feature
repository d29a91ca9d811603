Feature: Network: resumable uploads between the system and the upload server
  The system uploads each resource with the IETF "Resumable Uploads for HTTP" draft: a cached OPTIONS
  preflight, then a creation request; the server answers a 104 with the upload's Location before its
  final response, so an interrupted transfer can be resumed (offset retrieval with HEAD, append with
  PATCH). NET-01..10 are the digest's (Apple's article); NET-11 onward are what the draft asks of the
  server, per interop version (docs/server-rules.md). SYSTEM scenarios upload over real HTTP to a server
  the harness runs and reads, so the evidence is the server's own log; SERVER scenarios probe the server
  under test over real HTTP with a client that sees 104s and really cuts connections. Paraphrased from
  the article and the draft revisions (rules-digest.md section 3.12; docs/server-rules.md).

  @must @system @src:ART
  Rule: NET-01 The system resumes an interrupted upload from where the server says it stopped

    Scenario: An upload cut mid-body is resumed and the server ends up with every byte
      Given the uploads go over HTTP to a resumable-upload server the harness runs that drops every creation after 20000 bytes
      And the upload extension is enabled
      When the app creates an upload job for "cut"
      And the system is given time to finish its work
      Then job "cut" is succeeded
      And the harness's server holds every byte of "cut"
      And the upload of "cut" was resumed from the offset the server reported

  @must @system @src:ART
  Rule: NET-02 Before uploading, the system sends an OPTIONS preflight to the upload endpoint

    Scenario: The first upload is preceded by a preflight
      Given the uploads go over HTTP to a resumable-upload server the harness runs
      And the upload extension is enabled
      When the app creates an upload job for "first"
      And the system is given time to finish its work
      Then the harness's server received a preflight before the first upload

    Scenario: A server without resumable support still gets the preflight and the photo as a plain upload
      Given the uploads go over HTTP to a server the harness runs that does not offer resumable uploads
      And the upload extension is enabled
      When the app creates an upload job for "plain"
      And the system is given time to finish its work
      Then the harness's server received a preflight before the first upload
      And job "plain" is succeeded
      And the harness's server holds every byte of "plain"

  @must @server @src:ART @src:RUD-05 @src:RUD-09
  Rule: NET-03 A server that supports resumable uploads answers the preflight with 200 and an Upload-Limit field

    @interop-since:6
    Scenario: The preflight is answered 200 with an Upload-Limit field
      When the harness sends a preflight
      Then the server answered 200
      And the answer carries an Upload-Limit field

  @must @server @src:ART
  Rule: NET-04 Only a server without resumable support answers the preflight with 501
    The article's 501 appears in no draft (AMB-35). The check is the side a supporting server can fail:
    it never answers its preflight 501.

    Scenario: A server that serves resumable uploads does not answer its preflight 501
      When the harness sends a preflight
      Then the server did not answer 501

  @must @system @src:ART
  Rule: NET-05 The system caches the preflight result instead of repeating it for every upload
    The article gives no lifetime for the cache; the check is only that uploads in one burst do not each
    send a preflight.

    Scenario: Five uploads in one burst share a preflight
      Given the uploads go over HTTP to a resumable-upload server the harness runs
      And the upload extension is enabled
      When the app creates 5 upload jobs in one change block
      And the system is given time to finish its work
      Then the harness's server received fewer preflights than uploads

  @must @server @src:ART @src:RUD-01
  Rule: NET-06 Once the upload resource exists, the server sends a 104 with its Location before the final response

    Scenario: A creation gets a 104 with the upload's Location before its final response
      When the harness uploads "p1" of 65536 bytes in one creation request
      Then the server sent a 104 with a Location before its final response

  @must @system @src:ART
  Rule: NET-07 After a 104, an interrupted upload is resumed automatically

    Scenario: A photo whose creation is cut after the 104 is uploaded without a retry by the app
      Given the uploads go over HTTP to a resumable-upload server the harness runs that drops every creation after 30000 bytes
      And the upload extension is enabled
      When the app creates an upload job for "resumed"
      And the system is given time to finish its work
      Then job "resumed" is succeeded
      And the harness's server holds every byte of "resumed"
      And the harness's server stored "resumed" in 1 upload

  @must @server @src:ART
  Rule: NET-08 The server implements both the preflight and the 104
    The article's note to server teams: both halves must be there. The preflight's form is NET-03 and
    NET-11; the 104's is NET-06 and NET-14.

    @interop-since:6
    Scenario: The same server answers the preflight and sends the 104
      When the harness sends a preflight
      And the harness uploads "both" of 65536 bytes in one creation request
      Then the preflight was answered 200
      And the server sent a 104 with a Location before its final response

  @must @system @since:26.4 @src:ART @src:H27-J
  Rule: NET-09 A finished job carries every response header the server sent, under lower-cased names

    Scenario: The headers of the server's final response reach the job lower-cased
      Given the uploads go over HTTP to a resumable-upload server the harness runs that adds response header "X-Backup-Note" set to "kept"
      And the upload extension is enabled
      When the app creates an upload job for "noted"
      And the system is given time to finish its work
      Then job "noted" is succeeded
      And job "noted" has response header "x-backup-note" set to "kept"
      And job "noted" has every response header of the final response the harness's server sent for it

    Scenario: After a resumption the job carries the completing response's headers
      Given the uploads go over HTTP to a resumable-upload server the harness runs that drops every creation after 20000 bytes
      And the upload extension is enabled
      When the app creates an upload job for "resumed-noted"
      And the system is given time to finish its work
      Then job "resumed-noted" is succeeded
      And job "resumed-noted" has every response header of the final response the harness's server sent for it

  @must @system @since:27.0 @src:D-OPT
  Rule: NET-10 Uploads honour preventsExpensiveNetworkAccess
    ACT-23 checks it on the simulated transport; here the harness's server is the witness that no byte
    left the device over an expensive network.

    Scenario: On cellular with expensive access prevented, the server receives nothing
      Given the uploads go over HTTP to a resumable-upload server the harness runs
      And the upload extension is enabled with expensive network access prevented
      And the network is cellular
      And job "held" is registered
      When the system is given time to finish its work
      Then the harness's server received no request

  @must @server @src:RUD-05 @src:RUD-09
  Rule: NET-11 The preflight's Upload-Limit is a Structured-Fields Dictionary of non-negative sizes

    @interop-since:6 @assume:AMB-33=dictionary
    Scenario: The preflight's Upload-Limit parses as a Dictionary of non-negative Integers
      When the harness sends a preflight
      Then the answer's Upload-Limit is a Dictionary whose size members are non-negative Integers

  @must @server @src:RUD-05
  Rule: NET-12 A server that announces max-size refuses a larger upload

    @interop-since:6
    Scenario: A creation longer than the announced max-size is refused
      Given the server accepts a well-formed creation
      When the harness sends a preflight
      And the harness creates "too-big" announcing one byte more than the announced max-size
      Then the server refused it with a 4xx status

  @should @server @src:ART @src:RUD-09
  Rule: NET-13 The preflight answer does not depend on the interop version being present

    @interop-since:6
    Scenario: The preflight is answered alike with and without the interop version
      When the harness sends a preflight
      And the harness sends a preflight without the interop version
      Then both preflights got the same status and the same Upload-Limit

  @must @server @src:RUD-01 @src:RUD-09
  Rule: NET-14 The 104 carries the Location, the request's interop version and, from interop 8, the Upload-Limit

    @assume:AMB-34=required
    Scenario: The 104 names the interop version of the request
      When the harness uploads "p1" of 65536 bytes in one creation request
      Then the 104 carries the request's interop version

    @interop-since:8
    Scenario: From interop 8 the 104 carries the Upload-Limit
      When the harness uploads "p1" of 65536 bytes in one creation request
      Then the 104 carries an Upload-Limit field

  @must @server @src:RUD-01 @src:RUD-09
  Rule: NET-15 A creation without a known interop version gets no 104 and is served as a plain upload

    Scenario: A creation without the interop version is a plain upload
      When the harness uploads "plain" of 65536 bytes in one creation request without the interop version
      Then the server sent no 104
      And the server answered with a 2xx status

    Scenario: A creation with an interop version the server does not implement is a plain upload
      When the harness uploads "future" of 65536 bytes in one creation request with interop version 99
      Then the server sent no 104
      And the server answered with a 2xx status

  @must @server @src:RUD-01
  Rule: NET-16 Each upload gets a fresh Location, the same on every response of its request

    Scenario: Two uploads get two Locations, each named alike by the 104 and the final response
      When the harness uploads "one" of 65536 bytes in one creation request
      And the harness uploads "two" of 65536 bytes in one creation request
      Then "one" and "two" got different upload locations
      And every response for "one" that names a Location names the same one
      And every response for "two" that names a Location names the same one

  @must @server @src:RUD-01 @src:RUD-05
  Rule: NET-17 A creation that completes the upload gets a 2xx final response, only after the whole body

    Scenario: A complete creation is answered 2xx once its body has arrived
      When the harness uploads "whole" of 65536 bytes in one creation request
      Then the server answered with a 2xx status
      And the final response came after the whole body was sent
      And up to interop version 6 the final response carries Upload-Offset 65536
      When the harness asks the server for the offset of "whole"
      Then if the server still knows "whole", it reports all 65536 bytes and the upload complete

  @must @server @src:RUD-01 @src:RUD-08
  Rule: NET-18 A creation that does not complete the upload gets a 201 marked incomplete

    Scenario Outline: An incomplete creation of <sent> bytes is answered 201 with Location and the incomplete marker
      When the harness starts "part" of 65536 bytes with an incomplete creation carrying <sent> bytes
      Then the server answered 201
      And the final response names a Location and marks the upload incomplete

      Examples:
        | sent  |
        | 20000 |
        | 0     |

  @must @server @src:RUD-05
  Rule: NET-19 A complete creation whose Upload-Length disagrees with its body is refused

    @interop-since:6
    Scenario: Upload-Length and the body disagree
      Given the server accepts a well-formed creation
      When the harness uploads "liar" of 65536 bytes in one creation request announcing an Upload-Length of 70000
      Then the server refused it with a 4xx status

  @must @server @src:RUD-03
  Rule: NET-20 A creation carrying Upload-Offset is refused

    Scenario: A creation with an Upload-Offset is refused
      Given the server accepts a well-formed creation
      When the harness uploads "offset" of 65536 bytes in one creation request carrying Upload-Offset 100
      Then the server refused it with a 4xx status

  @must @server @src:RUD-01
  Rule: NET-21 After a cut mid-body, the offset is within what was sent and the upload is not complete

    Scenario: The offset after a cut is no more than the bytes sent
      When the harness cuts the creation of "cut" of 65536 bytes after 20000 bytes
      And the harness asks the server for the offset of "cut"
      Then the reported offset is at most 20000 and the upload is not complete

  @must @server @src:RUD-01
  Rule: NET-22 The offsets reported for an upload never decrease

    Scenario: Offsets reported across a cut, two retrievals and an append never go down
      When the harness cuts the creation of "cut" of 65536 bytes after 20000 bytes
      And the harness asks the server for the offset of "cut"
      And the harness asks the server for the offset of "cut"
      And the harness appends 10000 more bytes of "cut" from the offset the server reported
      And the harness asks the server for the offset of "cut"
      Then no offset reported for "cut" was smaller than an earlier one

  @must @server @src:RUD-03 @src:RUD-08
  Rule: NET-23 A reported offset is accepted while the old connection is half-open, which no longer completes the upload

    Scenario: An append from the reported offset is accepted while the old creation is half-open
      When the harness starts the creation of "held" of 65536 bytes and holds its connection open after 20000 bytes
      And the harness asks the server for the offset of "held"
      And the harness appends the rest of "held" from the offset the server reported
      And the held connection of "held" sends the rest of its body
      Then the append of "held" was answered with a 2xx status
      And the held creation of "held" did not end in a 2xx response

    Scenario: A half-open creation no longer completes the upload once its offset was handed out
      When the harness starts the creation of "stale" of 65536 bytes and holds its connection open after 20000 bytes
      And the harness asks the server for the offset of "stale"
      And the held connection of "stale" sends the rest of its body
      Then the held creation of "stale" did not end in a 2xx response

  @must @server @src:RUD-01 @src:RUD-03 @src:RUD-05 @src:RUD-09
  Rule: NET-24 Offset retrieval answers with its version's status and fields, never cacheable

    Scenario: Offset retrieval of an incomplete upload
      When the harness starts "part" of 65536 bytes with an incomplete creation carrying 20000 bytes
      And the harness asks the server for the offset of "part"
      Then the offset answer has the status and fields of its interop version
      And the offset answer forbids caching

  @must @server @src:RUD-01
  Rule: NET-25 Offset retrieval of an unknown or cancelled upload is refused, never redirected

    Scenario: Offset retrieval of an upload the server never created
      When the harness asks for the offset of an upload the server never created
      Then the server refused it with a 4xx status

    Scenario: Offset retrieval of a cancelled upload
      When the harness starts "gone" of 65536 bytes with an incomplete creation carrying 20000 bytes
      And the harness cancels "gone"
      And the harness asks the server for the offset of "gone"
      Then if the cancellation was accepted, the server refused it with a 4xx status

  @must @server @src:RUD-01 @src:RUD-08
  Rule: NET-26 An append at the reported offset is accepted, and the completing one is answered as complete

    Scenario: An upload cut mid-body is completed by an append
      When the harness cuts the creation of "cut" of 65536 bytes after 20000 bytes
      And the harness asks the server for the offset of "cut"
      And the harness appends the rest of "cut" from the offset the server reported
      Then the append of "cut" was answered with a 2xx status
      And the append's answer says the upload of 65536 bytes is complete

    Scenario: An upload is completed by two appends
      When the harness starts "steps" of 65536 bytes with an incomplete creation carrying 20000 bytes
      And the harness appends 20000 more bytes of "steps" from the offset the server reported
      And the harness appends the rest of "steps" from the offset the server reported
      Then the append of "steps" was answered with a 2xx status
      And the append's answer says the upload of 65536 bytes is complete

  @must @server @src:RUD-03 @src:RUD-08
  Rule: NET-27 An append at a wrong offset is refused with 409 and the correct offset

    Scenario: An append that skips bytes is refused with the offset to use
      When the harness starts "gap" of 65536 bytes with an incomplete creation carrying 20000 bytes
      And the harness appends the rest of "gap" from offset 30000
      Then the server answered 409 with Upload-Offset 20000

  @must @server @src:RUD-05
  Rule: NET-28 A completed upload is never modified

    Scenario: An append to a completed upload is refused
      Given the server accepts a well-formed creation
      When the harness uploads "done" of 65536 bytes in one creation request
      And the harness appends 1000 bytes to the completed upload "done"
      Then the server refused it with a 4xx status

  @must @server @src:RUD-05 @src:RUD-08
  Rule: NET-29 Bytes past the announced Upload-Length are not stored

    @interop-since:6
    Scenario: An append running past the announced length is refused
      When the harness starts "capped" of 65536 bytes with an incomplete creation carrying 20000 bytes
      And the harness appends 50000 bytes of "capped" from the offset the server reported
      Then the server refused it with a 4xx status
      And no offset the server reports for "capped" exceeds 65536

  @must @server @src:RUD-01
  Rule: NET-30 A cancelled upload is deactivated

    Scenario: After a DELETE the upload takes no more appends
      When the harness starts "dropped" of 65536 bytes with an incomplete creation carrying 20000 bytes
      And the harness cancels "dropped"
      And the harness appends the rest of "dropped" from offset 20000
      Then if the cancellation was accepted, the server refused it with a 4xx status

  @must @server @src:ART @src:RUD-01
  Rule: NET-31 The headers the app reads are on the final response, also when an append completed the upload

    Scenario: A resumed upload's completing response carries the headers of a one-request upload's
      When the harness uploads "whole" of 65536 bytes in one creation request
      And the harness cuts the creation of "cut" of 65536 bytes after 20000 bytes
      And the harness asks the server for the offset of "cut"
      And the harness appends the rest of "cut" from the offset the server reported
      Then the completing response of "cut" carries every header the final response of "whole" carried

  @must @server @src:RUD-01 @src:RUD-09
  Rule: NET-32 Every upload field the server sends is a valid Structured Field of its type

    Scenario: Upload fields across a preflight, a cut, a retrieval and an append
      When the harness sends a preflight
      And the harness cuts the creation of "cut" of 65536 bytes after 20000 bytes
      And the harness asks the server for the offset of "cut"
      And the harness appends the rest of "cut" from the offset the server reported
      Then every upload field the server sent was valid Structured Fields
