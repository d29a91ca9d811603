"""Which mutants stateful exploration finds, and why the others are out of its reach.

`bru_conformance.explore` checks invariants (job states and sets, limit accounting, refused changes,
nothing lost or stored twice, nothing left unacknowledged); the mutant catalogue breaks every required
rule, most of which those invariants do not state. Every mutant is declared here exactly once:

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
    "app_photos_only": 100, "app_records_unconfirmed": 100, "app_retries_outside_block": 100,
    "app_retries_permanent_failures": 100, "app_retries_twice": 100, "app_retries_via_acknowledge_set": 100,
    "app_returns_no_result": 100, "app_sync_protocol_on_macos": 100, "block_not_all_or_nothing": 100,
    "cancel_finished_job": 100, "cancelled_still_counted": 100, "change_request_outside_block": 100,
    "create_without_enable": 100, "failed_job_retried_by_system": 100, "finished_jobs_not_counted": 100,
    "identifier_reused": 100, "job_limit_unset": 100, "limit_off_by_one": 100, "limit_wrong_error": 100,
    "nested_block_allowed": 100, "new_header_wording_limit": 100, "process_set_misses_pending": 100,
    "retried_job_takes_no_slot": 300, "retried_success_keeps_slot": 300, "retry_applied_before_commit": 100,
    "retry_new_identifier": 100, "retry_set_includes_retried": 100, "retry_twice": 300, "start_skips_pending": 100,
    "uploads_continue_after_disable": 100,
}

# Why a mutant is out of the machines' reach, one reason per kind of rule.
SCHEDULING = ("when the SYSTEM makes processing calls and moves uploads (network, power, back-off, kills, runtime): "
              "the SYSTEM machine lets uploads move whenever time passes and checks states and sets, not timing")
VERSIONS = "which APIs a profile offers: both machines call only what the profile provides"
ACTIVATION = ("the details of enabling (upload options, the enabled flag, errors of an enable that cannot succeed): "
              "the machines enable an installed, configured app and check the job operations that follow")
CONSENT = ("what a SYSTEM lets an app read or enable without full access: the SYSTEM machine changes access "
           "but checks only job operations")
FIELDS = ("fields of jobs, requests and fetch results (destination and response headers, error domain, job type, "
          "placeholder, the kind of collection returned): the SYSTEM machine models each job's state only")
LOOKUPS = "lookups of jobs or resources that no longer exist: the machines address only jobs and photos they made"
DOWNLOADS = "download-only jobs and iCloud-only resources: neither machine makes them"
TERMINATION = ("termination delivered to the extension: in the SYSTEM machine the harness's extension does no "
               "work, so notices, kills and their effect on uploads are not observed")
ENVIRONMENTS = "the simulator, Developer Mode and the persistent change history: the SYSTEM machine changes none of them"
ORDER = ("the order and pace of an app's work (what it does first within a pass, how many jobs per call, cancelling "
         "redundant jobs, waiting for room): the APP machine judges outcomes after six virtual hours, not the way there")
ANSWERS = "which result an app returns when it is not done or hits an error: only `.completed` with work left is checked"
REFERENCE_WORLD = ("a situation the reference SYSTEM under the APP machine never creates (a nil change request, a "
                   "PhotoKit failure, a jobLimit other than the default)")
CONSENT_APP = "enabling under limited access: the APP machine always starts from full access"
STOPPING = ("how promptly an extension stops after a termination notice: the APP machine checks that nothing is lost "
            "or stored twice across notices and kills, not how many calls followed a notice")
NOT_AN_ACTION = "signing out: not an action of the APP machine"

OUT_OF_REACH: dict[str, str] = {
    # SYSTEM
    "available_in_simulator": ENVIRONMENTS, "developer_mode_changes_uploads": ENVIRONMENTS,
    "developer_mode_keeps_limit": ENVIRONMENTS, "token_never_expires": ENVIRONMENTS,
    "calls_before_enable": SCHEDULING, "calls_continue_after_disable": SCHEDULING, "calls_without_network": SCHEDULING,
    "no_backoff": SCHEDULING, "no_call_after_kill": SCHEDULING, "no_call_after_library_change": SCHEDULING,
    "processing_not_called_again": SCHEDULING, "uploads_only_during_calls": SCHEDULING, "no_runtime_limit": SCHEDULING,
    "expensive_network_ignored": SCHEDULING, "prevents_expensive_default_true": SCHEDULING,
    "cancel_before_26_4": VERSIONS, "create_job_removed_in_26_4": VERSIONS, "enable_api_before_27": VERSIONS,
    "process_action_before_26_5": VERSIONS, "set_enabled_removed_in_27": VERSIONS,
    "enable_ignores_options": ACTIVATION, "options_without_enable": ACTIVATION, "reenable_keeps_old_options": ACTIVATION,
    "set_options_creates_configuration": ACTIVATION, "set_options_merges": ACTIVATION, "failed_enable27_silent": ACTIVATION,
    "failed_enable_silent": ACTIVATION, "enable_without_extension": ACTIVATION, "enable_without_url_base": ACTIVATION,
    "enabled_flag_ignores_access": ACTIVATION,
    "enable_with_limited_access": CONSENT, "library_open_before_consent": CONSENT, "limited_sees_everything": CONSENT,
    "observer_without_full_access": CONSENT, "options_without_authorization": CONSENT,
    "change_request_never_nil": LOOKUPS, "resource_after_delete": LOOKUPS,
    "download_only_auto_acknowledged": DOWNLOADS, "download_only_uploads": DOWNLOADS, "no_icloud_fetch": DOWNLOADS,
    "error_wrong_domain": FIELDS, "headers_not_lowercased": FIELDS, "job_type_always_upload": FIELDS, "placeholder_nil": FIELDS,
    "retry_drops_headers": FIELDS, "retry_ignores_new_destination": FIELDS, "retry_keeps_error": FIELDS,
    "transfer_drops_destination_headers": FIELDS, "fetch_returns_iterator": FIELDS,
    "no_notify_termination": TERMINATION, "no_will_terminate": TERMINATION, "termination_kills_uploads": TERMINATION,
    # APP
    "app_acknowledges_before_retrying": ORDER, "app_retries_before_freeing": ORDER, "app_one_job_per_call": ORDER,
    "app_busy_waits_for_room": ORDER, "app_never_cancels": ORDER, "app_creates_jobs_before_enabling": ORDER,
    "app_processing_forever": ANSWERS, "app_completed_on_limit": ANSWERS,
    "app_processing_on_error": REFERENCE_WORLD, "app_ignores_nil_change_request": REFERENCE_WORLD,
    "app_assumes_job_limit": REFERENCE_WORLD,
    "app_destination_without_credentials": FIELDS, "app_ignores_job_type": DOWNLOADS,
    "app_enables_with_limited_access": CONSENT_APP, "app_ignores_termination": STOPPING,
    "app_no_disable_on_sign_out": NOT_AN_ACTION,
}
