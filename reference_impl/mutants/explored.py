"""Which mutants stateful exploration finds, and why the others are out of its reach.

`bru_conformance.explore` checks invariants (job states, sets and fields, limit accounting, refused
changes, the enabled flag and options, no processing call while disabled or offline; nothing lost or
stored twice, nothing left unacknowledged); the mutant catalogue breaks every required rule, and some
of those rules the invariants do not state. Every mutant is declared here exactly once:

* `FOUND_WITHIN`: the invariants cover it, and `explore` with seed 0 finds it within that many examples
  (no shrinking). Measured with `bru-conformance explore --mutants`; the project's tests re-check each.
* `OUT_OF_REACH`: what the rule it breaks is about, and why the machines cannot see it. None of these
  was found within 1,000 examples at seed 0 (measured when they were declared so).

Adding a mutant means adding it here; a test fails on a mutant in neither table or in both.
"""

from __future__ import annotations

#: mutant -> examples within which `explore --seed 0` finds it
FOUND_WITHIN: dict[str, int] = {
    "acknowledge_in_flight": 100, "acknowledge_keeps_slot": 100, "acknowledge_set_includes_in_flight": 100,
    "acknowledge_set_misses_failed": 100, "acknowledged_still_readable": 100,
    "app_acknowledges_before_recording": 100, "app_acknowledges_outside_block": 100,
    "app_acknowledges_tracked_only": 100, "app_completed_while_work_remains": 100,
    "app_creates_before_acknowledging": 100, "app_creates_outside_block": 100, "app_enables_without_asking": 100,
    "app_extension_does_not_answer": 100, "app_fails_on_expired_token": 100, "app_gives_up_after_kill": 100,
    "app_ignores_new_assets": 100, "app_ignores_response_headers": 100, "app_never_acknowledges_at_limit": 100,
    "app_never_acknowledges_failures": 100, "app_never_enables": 100, "app_no_creation_intent": 100,
    "app_photos_only": 100, "app_processing_forever": 100, "app_records_unconfirmed": 100, "app_retries_outside_block": 100,
    "app_retries_permanent_failures": 100, "app_retries_twice": 100, "app_retries_via_acknowledge_set": 100,
    "app_returns_no_result": 100, "app_sync_protocol_on_macos": 100, "block_not_all_or_nothing": 100,
    "calls_before_enable": 300, "calls_continue_after_disable": 300, "calls_without_network": 100,
    "cancel_finished_job": 100, "cancelled_still_counted": 300, "change_request_never_nil": 100,
    "change_request_outside_block": 100, "create_without_enable": 100, "enable_with_limited_access": 100,
    "enabled_flag_ignores_access": 100, "error_wrong_domain": 100, "failed_enable27_silent": 100,
    "failed_enable_silent": 100, "failed_job_retried_by_system": 100, "finished_jobs_not_counted": 100,
    "headers_not_lowercased": 100, "identifier_reused": 100, "job_limit_unset": 100, "limit_off_by_one": 100,
    "limit_wrong_error": 100, "nested_block_allowed": 100, "new_header_wording_limit": 100,
    "options_without_authorization": 100, "options_without_enable": 100, "process_set_misses_pending": 100,
    "retried_job_takes_no_slot": 1000, "retried_success_keeps_slot": 300, "retry_applied_before_commit": 100,
    "retry_drops_headers": 100, "retry_ignores_new_destination": 100, "retry_keeps_error": 100,
    "retry_new_identifier": 100, "retry_set_includes_retried": 100, "retry_twice": 100, "start_skips_pending": 100,
    "transfer_drops_destination_headers": 100, "uploads_continue_after_disable": 100,
    # issue 11 (blind_spot_mutants): already in the invariants' reach
    "app_extension_lacks_termination": 100, "app_waits_for_deleted_photo": 100, "enable_twice_new_configuration": 100,
}

# Why a mutant is out of the machines' reach, one reason per kind of rule.
SCHEDULING = ("when processing calls are due and uploads move (back-off, calls again after .processing or a library "
              "change, after a kill, the runtime cap, expensive networks): the SYSTEM machine checks only that no call "
              "comes while the extension is disabled or network or power forbid work")
VERSIONS = "which APIs a profile offers: both machines call only what the profile provides"
ACTIVATION = ("upload options and enabling an app that is not installed or configured: the SYSTEM machine enables "
              "an installed, configured app with default options")
CONSENT = ("what a SYSTEM lets an app read without full access (photos, the persistent-changes observer): the SYSTEM "
           "machine reads jobs, the enabled flag and the options only")
LOOKUPS = "the resource lookup of a job whose photo was deleted: the SYSTEM machine deletes no photo"
DOWNLOADS = "download-only jobs and iCloud-only resources: neither machine makes them"
PLACEHOLDER = ("a nil creation placeholder: the creation steps then find the new job by its photo, so the SYSTEM machine "
               "never sees it (the catalogue's CRE-06 scenario reads the placeholder itself)")
TERMINATION = ("termination delivered to the extension: in the SYSTEM machine the harness's extension does no "
               "work, so notices, kills and their effect on uploads are not observed")
ENVIRONMENTS = "the simulator, Developer Mode and the persistent change history: the SYSTEM machine changes none of them"
ORDER = ("the order and pace of an app's work (what it does first within a pass, how many jobs per call, cancelling "
         "redundant jobs, waiting for room): the APP machine judges outcomes after six virtual hours, not the way there")
REFERENCE_WORLD = ("a situation the reference SYSTEM under the APP machine never creates (a nil change request, a "
                   "PhotoKit failure, a jobLimit other than the default)")
CONSENT_APP = "enabling under limited access: the APP machine always starts from full access"
CREDENTIALS_APP = ("what an app puts in its destinations: the APP machine's server stores whatever arrives, credentials "
                   "or not (the catalogue's CRE-05 scenarios check them)")
STOPPING = ("how promptly an extension stops after a termination notice: the APP machine checks that nothing is lost "
            "or stored twice across notices and kills, not how many calls followed a notice")
NOT_AN_ACTION = "signing out: not an action of the APP machine"
NEW = "added for issue 11: exploration not yet extended to this class"

OUT_OF_REACH: dict[str, str] = {
    # SYSTEM
    "available_in_simulator": ENVIRONMENTS, "developer_mode_changes_uploads": ENVIRONMENTS,
    "developer_mode_keeps_limit": ENVIRONMENTS, "token_never_expires": ENVIRONMENTS,
    "no_backoff": SCHEDULING, "no_call_after_kill": SCHEDULING, "no_call_after_library_change": SCHEDULING,
    "processing_not_called_again": SCHEDULING, "uploads_only_during_calls": SCHEDULING, "no_runtime_limit": SCHEDULING,
    "expensive_network_ignored": SCHEDULING, "prevents_expensive_default_true": SCHEDULING,
    "cancel_before_26_4": VERSIONS, "create_job_removed_in_26_4": VERSIONS, "enable_api_before_27": VERSIONS,
    "process_action_before_26_5": VERSIONS, "set_enabled_removed_in_27": VERSIONS,
    "enable_ignores_options": ACTIVATION, "reenable_keeps_old_options": ACTIVATION,
    "set_options_creates_configuration": ACTIVATION, "set_options_merges": ACTIVATION,
    "enable_without_extension": ACTIVATION, "enable_without_url_base": ACTIVATION,
    "library_open_before_consent": CONSENT, "limited_sees_everything": CONSENT, "observer_without_full_access": CONSENT,
    "resource_after_delete": LOOKUPS, "placeholder_nil": PLACEHOLDER,
    "download_only_auto_acknowledged": DOWNLOADS, "download_only_uploads": DOWNLOADS, "no_icloud_fetch": DOWNLOADS,
    "job_type_always_upload": DOWNLOADS,
    "no_notify_termination": TERMINATION, "no_will_terminate": TERMINATION, "termination_kills_uploads": TERMINATION,
    # APP
    "app_never_retries": ORDER, "app_retries_before_freeing": ORDER, "app_one_job_per_call": ORDER,
    "app_busy_waits_for_room": ORDER, "app_creates_jobs_before_enabling": ORDER,
    "app_completed_on_limit": REFERENCE_WORLD,
    "app_processing_on_error": REFERENCE_WORLD, "app_ignores_nil_change_request": REFERENCE_WORLD,
    "app_assumes_job_limit": REFERENCE_WORLD,
    "app_destination_without_credentials": CREDENTIALS_APP, "app_ignores_job_type": DOWNLOADS,
    "app_enables_with_limited_access": CONSENT_APP, "app_ignores_termination": STOPPING,
    "app_no_disable_on_sign_out": NOT_AN_ACTION,
    # issue 11 (blind_spot_mutants)
    "legacy_notice_on_27": NEW, "async_notice_on_26": NEW, "no_call_after_failed_jobs": NEW,
    "retry_in_call_never_started": NEW, "starts_lost_on_kill": NEW, "missed_call_never_rescheduled": NEW,
    "runtime_limit_from_launch": NEW, "refused_block_keeps_changes": NEW, "job_limit_reports_constant": NEW,
    "app_reads_limit_assumes_50": NEW, "app_caches_job_limit": NEW, "app_first_resource_only": NEW,
    "app_retry_drops_metadata": NEW, "app_process_action_before_26_5": NEW, "app_nests_change_blocks": NEW,
    "app_retries_before_acknowledging": NEW, "app_no_result_on_error": NEW, "async_call_driven_once": NEW,
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
