"""Which mutants stateful exploration finds, and why the others are out of its reach.

`bru_conformance.proving.explore` checks invariants (job states, sets and fields, limit accounting, refused and
mixed change blocks, the enabled flag and options, calls by API availability; when processing calls must
and must not come, what the harness extension does inside them, termination notices and kills, uploads
eventually done and never while work is forbidden; nothing lost or stored twice, nothing left
unacknowledged, the app's own calls, uploads and answers); the mutant catalogue breaks every required
rule, and some of those rules the invariants do not state. Every mutant is declared here exactly once:

* `FOUND_WITHIN`: the invariants cover it, and `explore` with seed 0 finds it within that many examples
  (no shrinking), never more than `explore`'s default budget (`bru_conformance.proving.EXPLORE_BUDGET`, 150). Measured with `bru-conformance
  explore --mutants`; the project's tests re-check each.
* `OUT_OF_REACH`: what the rule it breaks is about, and why the machines cannot see it; none of these is
  found within the default budget at seed 0.

Adding a mutant means adding it here; a test fails on a mutant in neither table or in both.
"""

from __future__ import annotations

#: mutant -> examples within which `explore --seed 0` finds it (at most the default budget, 150)
FOUND_WITHIN: dict[str, int] = {
    # SYSTEM
    "acknowledge_in_flight": 100, "acknowledge_keeps_slot": 100, "acknowledge_set_includes_in_flight": 100,
    "acknowledge_set_misses_failed": 100, "acknowledged_still_readable": 100, "async_call_driven_once": 100,
    "async_notice_on_26": 100, "block_not_all_or_nothing": 100, "calls_before_enable": 100,
    "calls_continue_after_disable": 100, "calls_without_network": 100, "cancel_before_26_4": 100,
    "cancel_finished_job": 100, "cancelled_still_counted": 100, "change_request_never_nil": 100,
    "change_request_outside_block": 100, "create_without_enable": 100, "developer_mode_changes_uploads": 100,
    "developer_mode_keeps_limit": 100, "download_only_auto_acknowledged": 100, "download_only_uploads": 100,
    "enable_api_before_27": 100, "enable_ignores_options": 100, "enable_twice_new_configuration": 100,
    "enable_with_limited_access": 100, "enabled_flag_ignores_access": 100, "error_wrong_domain": 100,
    "expensive_network_ignored": 100, "failed_enable27_silent": 100, "failed_enable_silent": 100,
    "failed_job_retried_by_system": 100, "finished_jobs_not_counted": 100, "headers_not_lowercased": 100,
    "identifier_reused": 100, "job_limit_reports_constant": 100, "job_limit_unset": 100,
    "job_type_always_upload": 100, "legacy_notice_on_27": 100, "limit_off_by_one": 100, "limit_wrong_error": 100,
    "missed_call_never_rescheduled": 100, "nested_block_allowed": 100, "new_header_wording_limit": 100,
    "no_call_after_failed_jobs": 100, "no_call_after_kill": 100, "no_call_after_library_change": 100,
    "no_icloud_fetch": 100, "no_notify_termination": 100, "no_runtime_limit": 100, "no_will_terminate": 100,
    "options_without_authorization": 100, "options_without_enable": 100, "prevents_expensive_default_true": 100,
    "process_action_before_26_5": 100, "process_set_misses_pending": 100, "processing_not_called_again": 100,
    "reenable_keeps_old_options": 100, "refused_block_keeps_changes": 100, "resource_after_delete": 100,
    "retried_job_takes_no_slot": 100, "retried_success_keeps_slot": 100, "retry_applied_before_commit": 100,
    "retry_drops_headers": 100, "retry_ignores_new_destination": 100, "retry_in_call_never_started": 100,
    "retry_keeps_error": 100, "retry_new_identifier": 100, "retry_set_includes_retried": 100, "retry_twice": 100,
    "runtime_limit_from_launch": 100, "set_enabled_removed_in_27": 100, "set_options_creates_configuration": 150,
    "set_options_merges": 100, "start_skips_pending": 100, "starts_lost_on_kill": 100,
    "termination_kills_uploads": 100, "transfer_drops_destination_headers": 100,
    "uploads_continue_after_disable": 100, "uploads_only_during_calls": 100,
    # APP
    "app_acknowledges_before_recording": 150, "app_acknowledges_outside_block": 100,
    "app_acknowledges_tracked_only": 100, "app_assumes_job_limit": 100, "app_busy_waits_for_room": 100,
    "app_caches_job_limit": 100, "app_completed_while_work_remains": 100, "app_creates_before_acknowledging": 100,
    "app_creates_outside_block": 100, "app_destination_without_credentials": 100, "app_enables_without_asking": 100,
    "app_extension_does_not_answer": 100, "app_extension_lacks_termination": 100, "app_fails_on_expired_token": 100,
    "app_first_resource_only": 100, "app_gives_up_after_kill": 100, "app_ignores_new_assets": 100,
    "app_ignores_response_headers": 100, "app_nests_change_blocks": 100, "app_never_acknowledges_at_limit": 100,
    "app_never_acknowledges_failures": 100, "app_never_enables": 100, "app_never_retries": 100,
    "app_no_creation_intent": 100, "app_no_result_on_error": 100, "app_photos_only": 100,
    "app_process_action_before_26_5": 100, "app_processing_forever": 100, "app_processing_on_error": 100,
    "app_reads_limit_assumes_50": 100, "app_records_unconfirmed": 100, "app_retries_before_acknowledging": 100,
    "app_retries_before_freeing": 100, "app_retries_outside_block": 100, "app_retries_permanent_failures": 100,
    "app_retries_twice": 100, "app_retries_via_acknowledge_set": 100, "app_retry_drops_metadata": 100,
    "app_returns_no_result": 100, "app_sync_protocol_on_macos": 100, "app_waits_for_deleted_photo": 100,
}

# Why a mutant is out of the machines' reach: what its rule is about, and why no action of theirs shows it.
PLACEHOLDER = ("a nil creation placeholder: the creation steps then find the new job by its photo, so the SYSTEM machine "
               "never sees it (the catalogue's CRE-06 scenario reads the placeholder itself)")
CREATE_JOB = ("createJob from 26.4 on: there the SYSTEM machine creates with creationRequestForJob, and the one step that "
              "calls createJob by name (`the app calls createJob(destination:resource:)`) makes a job for \"extra\" that no "
              "alias names, which the model could not follow (the catalogue's CRE-13 scenario calls it)")
CONSENT = ("what a SYSTEM lets an app read without full access (its photos, the persistent-changes observer): the SYSTEM "
           "machine reads jobs, the enabled flag and the options only (the catalogue's CON scenarios read the library)")
HISTORY = ("a change token older than the pruned history: the SYSTEM machine never reads persistent changes, which is the "
           "app's reading (the catalogue's ERR-04 scenario asks for them)")
INSTALL = ("an app installed without its extension or without BackgroundUploadURLBase: the SYSTEM machine's app is always "
           "installed complete, as the install steps are Givens before enabling (the catalogue's ACT-04/ACT-06 scenarios)")
SIMULATOR = ("the iOS Simulator: the SYSTEM machine never runs the app there, which would refuse every enable and disable "
             "for the rest of a run (the catalogue's ACT-09 scenario does)")
BACKOFF = ("a backoff after .failure and kills: the vocabulary's check (`the system backs off between the calls that follow "
           "a .failure`) compares every pause between calls in the trace, so it holds only for a run whose every call was "
           "answered .failure, while the machine's harness answers change within a run, re-enabling calls at once and "
           "library changes bring calls of their own (the catalogue's PRO-14 scenario answers .failure throughout)")
CONSENT_APP = "enabling under limited access: the APP machine always starts from full access, so its host app never decides"
ORDER = ("the order and pace of an app's work (what its host app does before enabling, how many jobs it makes per call): "
         "the APP machine judges outcomes after six virtual hours, not the way there, and either order gets there")
DOWNLOADS_APP = ("download-only jobs in the app's acknowledge set: under the APP machine the only jobs are the ones the app "
                 "makes, all upload jobs (the catalogue's ACK-07 scenario has the harness make a download-only job)")
NIL_REQUEST = ("a nil change request: under the APP machine no job disappears between the app's fetch and its change "
               "request, as nothing but the app changes its jobs and the machine never disables (the catalogue's STA-13 "
               "scenario acknowledges a job behind the app's back)")
LIMIT_REFUSAL = ("a block refused at the jobLimit: the app under the APP machine reads the jobLimit in each call and, having "
                 "acknowledged first, sizes its block to the room left, also after the limit changed, so it is never refused "
                 "with limitExceeded (the catalogue's PRO-10 scenario fills the queue with jobs the app does not know)")
STOPPING = ("how promptly an extension stops after a termination notice: in the APP machine's small libraries (at most ten "
            "photos and one import) a call ends within the notice's grace even when the app ignores the notice, so no "
            "call is killed for it and nothing is lost (the catalogue's TER-03 scenario counts calls in a 120-photo library)")
NOT_AN_ACTION = "signing out: not an action of the APP machine (the catalogue's ACT-16 scenario signs out)"

OUT_OF_REACH: dict[str, str] = {
    # SYSTEM
    "placeholder_nil": PLACEHOLDER, "create_job_removed_in_26_4": CREATE_JOB,
    "library_open_before_consent": CONSENT, "limited_sees_everything": CONSENT, "observer_without_full_access": CONSENT,
    "token_never_expires": HISTORY, "enable_without_extension": INSTALL, "enable_without_url_base": INSTALL,
    "available_in_simulator": SIMULATOR, "no_backoff": BACKOFF,
    # APP
    "app_enables_with_limited_access": CONSENT_APP, "app_creates_jobs_before_enabling": ORDER, "app_one_job_per_call": ORDER,
    "app_ignores_job_type": DOWNLOADS_APP, "app_ignores_nil_change_request": NIL_REQUEST, "app_completed_on_limit": LIMIT_REFUSAL,
    "app_ignores_termination": STOPPING, "app_no_disable_on_sign_out": NOT_AN_ACTION,
}

# issue 14: the wire. Exploration drives the SYSTEM and APP contracts on the simulated transport; what a
# server answers, and what a SYSTEM sends over real HTTP, is checked by the network scenarios only.
WIRE = ("the upload server and the SYSTEM's real-HTTP transport are outside exploration, which drives the role "
        "contracts on the simulated transport; the network scenarios (features/network.feature) probe them over sockets")
OUT_OF_REACH.update({name: WIRE for name in (
    "server_early_final",
    "server_drops_mid_body",
    "server_no_interop_in_104",
    "server_bare_integer_limit",
    "server_decreasing_offset",
    "server_modifies_completed",
    "server_no_104",
    "server_wrong_location_on_final",
    "server_stores_past_length",
    "server_no_limit_in_104",
    "server_cacheable_offset",
    "server_conflict_without_offset",
    "server_accepts_offset_on_creation",
    "server_ignores_concurrency",
    "server_headers_only_on_creation",
    "server_preflight_without_limit",
    "server_preflight_501",
    "server_preflight_needs_interop",
    "server_resumable_without_interop",
    "server_incomplete_answered_200",
    "server_ignores_length_mismatch",
    "server_cut_reported_complete",
    "server_redirects_unknown",
    "server_append_not_marked_complete",
    "server_delete_ignored",
    "server_ignores_max_size",
    "server_offset_as_string",
    "http_never_resumes",
    "http_no_preflight",
    "http_preflight_every_upload",
    "http_headers_canonical_case",
)})
OUT_OF_REACH["cancel_never_drains"] = (
    "the owed-call check covers it, but a .processing call that made jobs followed by cancelling every one of them "
    "while still in flight is too rare a sequence (not found within 400 examples at seed 0); PRO-05's scenario of a "
    "cancelled job makes it directly")
