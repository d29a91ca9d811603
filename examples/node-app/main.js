#!/usr/bin/env node
// An APP-role adapter for bru-conformance, in plain Node.js (no npm dependencies).
//
// It plays a photo-backup app: the host app (turn backup on / sign out) and its background upload
// extension (one processing pass per processing call). PhotoKit itself lives in the harness: every
// library call is a JSON-RPC request we send back over stdout while the harness waits for our answer.
//
// Run by the harness as `node examples/node-app/main.js`; protocol: docs/adapter-protocol.md.
// Logs go to stderr only: stdout carries nothing but protocol messages, one JSON object per line.
'use strict';

const readline = require('node:readline');

const NAME = 'node-app example';
const VERSION = '0.1.0';
const PROTOCOL_VERSION = '1.2'; // the adapter protocol this file speaks (stated in the initialize answer)

// JSON-RPC error codes of the adapter protocol.
const APPLICATION_ERROR = -32000; // a PhotoKit (or other SYSTEM) error; `data.type` says which
const KILLED = -32001;            // the SYSTEM killed the extension process
const INTERNAL_ERROR = -32603;    // a bug on our side (the harness reports it as an adapter fault)

// PhotoKit and URL error codes the app reacts to.
const PHOTOKIT = { limitExceeded: 3307, persistentChangeTokenExpired: 3105 };
const URL_ERROR = { badServerResponse: -1011, userAuthenticationRequired: -1013 };
const PERMANENT_URL_ERRORS = new Set([URL_ERROR.badServerResponse, URL_ERROR.userAuthenticationRequired]);

/**
 * The account as `session.create` sends it; these defaults fill what an older harness leaves out.
 * Every destination carries `Authorization: Bearer <token>` and the resource's file name in the header
 * named by `filenameHeader` (the metadata the server needs, CRE-05).
 */
const DEFAULT_ACCOUNT = {
  uploadUrl: 'https://backup.example.com/upload',
  token: '',
  serverIdHeader: 'x-server-id',
  maxAttempts: 3,
  filenameHeader: 'X-Original-Filename',
};

/** Thrown inside a change block when the termination flag is seen: the block is aborted. */
const STOPPED = Symbol('stopped');

const log = (...parts) => console.error('[node-app]', ...parts);

// ============================================================================ JSON-RPC peer
// Both sides send requests. Our outgoing calls are promises kept in a map by id; every incoming line
// is either the answer to one of them or a new request, which is dispatched at once, even while one
// of our own calls (or a processing-call handler) is still waiting.

/** An error answer to one of our calls; `code`/`data` are kept so it can be forwarded unchanged. */
class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

const isKilled = (err) => err instanceof RpcError && err.code === KILLED;

/** The PhotoKit error code carried by `err`, or null when it is not a PhotoKitError. */
function photoKitCode(err) {
  if (err instanceof RpcError && err.code === APPLICATION_ERROR && err.data && err.data.type === 'PhotoKitError') {
    return err.data.code;
  }
  return null;
}

class Peer {
  constructor(input, output, dispatch) {
    this.output = output;
    this.dispatch = dispatch; // async (method, params) => result
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, method }
    this.closing = false;     // set by `shutdown`: nothing more is read
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    lines.on('line', (line) => this.receive(line));
    lines.on('close', () => process.exit(0)); // the harness closed our stdin: nothing more to do
  }

  send(message) {
    this.output.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
  }

  /** Send a request to the harness; resolves with its result, rejects with an RpcError. */
  call(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.send({ id, method, params });
    });
  }

  receive(line) {
    if (this.closing || !line.trim()) return;
    let message;
    try {
      message = JSON.parse(line);
    } catch (err) {
      log('ignoring a line that is not JSON:', line.slice(0, 120));
      return;
    }
    if (typeof message.method === 'string') {
      this.serve(message);
      return;
    }
    const waiter = this.pending.get(message.id);
    if (!waiter) {
      log('answer to an unknown request id', message.id);
      return;
    }
    this.pending.delete(message.id);
    if (message.error) {
      const { code, message: text, data } = message.error;
      waiter.reject(new RpcError(code, text || `${waiter.method} failed`, data));
    } else {
      waiter.resolve(message.result);
    }
  }

  /** Run the handler for an incoming request and answer it when its promise settles. */
  serve(request) {
    const { id, method } = request;
    if (method === 'shutdown') this.closing = true;
    Promise.resolve()
      .then(() => this.dispatch(method, request.params || {}))
      .then(
        (result) => {
          if (id !== undefined) this.send({ id, result: result === undefined ? null : result });
          if (method === 'shutdown') this.output.write('', () => process.exit(0));
        },
        (err) => {
          if (id === undefined) return;
          if (err instanceof RpcError) {
            // Forward a SYSTEM error (or KILLED) the way we received it.
            const error = { code: err.code, message: err.message };
            if (err.data && typeof err.data === 'object') error.data = err.data;
            this.send({ id, error });
          } else {
            log(`${method} failed:`, err && err.stack ? err.stack : err);
            this.send({ id, error: { code: INTERNAL_ERROR, message: String(err && err.message ? err.message : err) } });
          }
        },
      );
  }
}

// ============================================================================ API profiles
// Which PhotoKit calls exist in the session's profile (`ios-26.1` ... `macos-27.0`): [iOS, macOS]
// versions of introduction, null = never on that platform. Job *fields* are not listed here: each
// fetched job names its missing fields in `unavailable`.
const API_SINCE = {
  setUploadJobExtensionEnabled: [[26, 1], null],
  enableUploadJobExtension: [[27, 0], [27, 0]],
  disableUploadJobExtension: [[27, 0], [27, 0]],
  creationRequestForJob: [[26, 4], [27, 0]],
  assetResourceForUploadJob: [[27, 0], [27, 0]],
  'Action.process': [[26, 5], [27, 0]],
};

class Profile {
  constructor(name) {
    const [platform, version] = name.split('-');
    this.name = name;
    this.platform = platform;
    this.version = version.split('.').map(Number);
  }

  has(api) {
    const [ios, macos] = API_SINCE[api];
    const since = this.platform === 'ios' ? ios : macos;
    if (!since) return false;
    const [major, minor] = this.version;
    return major > since[0] || (major === since[0] && minor >= since[1]);
  }
}

/** A field of a fetched job, or undefined when the job's profile does not have it. */
const jobField = (job, name) => ((job.unavailable || []).includes(name) ? undefined : job[name]);
const jobHas = (job, name) => !(job.unavailable || []).includes(name);

/** A header of a destination request (names compare case-insensitively), or undefined. */
function headerOf(request, name) {
  const headers = (request && request.headers) || {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

// ============================================================================ the app's storage
/**
 * The App Group container shared by host app and extension. It outlives extension processes (a kill
 * only loses the extension's in-memory flag), so every write that protects a PhotoKit call happens
 * *before* that call: an interruption anywhere leaves a state the next pass can reconcile.
 */
class AppStore {
  constructor() {
    this.token = null;             // persistent change token of the last library sync
    this.resources = new Map();    // resourceId -> resource, everything ever queued
    this.pending = new Map();      // resourceId -> resource waiting for a job (insertion order = FIFO)
    this.inFlight = new Map();     // resourceId -> job id (null on 26.1: createJob returns nothing)
    this.creating = new Map();     // resourceId -> placeholder id, written before the creation commit
    this.uploaded = new Map();     // resourceId -> server confirmation (server id, or "confirmed")
    this.attempts = new Map();     // resourceId -> failed jobs so far
    this.failed = new Set();       // resources we gave up on and surface to the user
    this.recorded = new Map();     // job id -> resourceId: outcome in the ledger, acknowledgement unconfirmed
    // 26.1 only (createJob returns no id): photos deleted while their job was in flight. See `placed`.
    this.orphaned = new Set();     // resourceIds in flight under an unknown job id whose photo was deleted
    this.strays = 0;               // acknowledged finished jobs nobody could place, not yet paired with an orphan
    this.straying = new Set();     // such jobs, written before their acknowledgement commits
  }

  /** Queue a resource unless it is already uploaded, in flight or given up on. */
  queue(resource) {
    const rid = resource.resourceId;
    if (this.uploaded.has(rid) || this.inFlight.has(rid) || this.failed.has(rid)) return;
    this.resources.set(rid, resource);
    this.pending.set(rid, resource);
  }

  /** Put resources back at the head of the queue (they were already due), keeping their order. */
  requeueFront(resources) {
    const head = new Map(resources.map((r) => [r.resourceId, r]));
    for (const [rid, r] of this.pending) if (!head.has(rid)) head.set(rid, r);
    this.pending = head;
  }
}

// ============================================================================ one session
/** One scenario's app: host-app actions, the extension pass, and the store that survives kills. */
class BackupApp {
  constructor(peer, sessionId, profileName, account) {
    this.peer = peer;
    this.session = sessionId;
    this.profile = new Profile(profileName);
    this.account = { ...DEFAULT_ACCOUNT, ...(account || {}) };
    this.store = new AppStore();
    this.extensions = new Map(); // extension key -> { terminating }
  }

  /** A call to the SYSTEM (PhotoKit) in the harness. */
  lib(method, params = {}) {
    return this.peer.call(method, { session: this.session, ...params });
  }

  // ---------------------------------------------------------------------- host app
  /** The user turns backup on: read-write access first, enable only with full access, then verify. */
  async turnOnBackup() {
    const status = await this.lib('library.requestAuthorization');
    if (status !== 'authorized') return false; // limited, denied, ...: never enable
    try {
      if (this.profile.has('enableUploadJobExtension')) {
        await this.lib('library.enableUploadJobExtension', { options: null });
      } else {
        await this.lib('library.setUploadJobExtensionEnabled', { enabled: true });
      }
    } catch (err) {
      if (photoKitCode(err) === null) throw err;
      log('enabling failed:', err.message);
      return false;
    }
    return this.lib('library.uploadJobExtensionEnabled');
  }

  /** The user signs out: stop background processing and forget this account's bookkeeping. */
  async signOut() {
    if (this.profile.has('disableUploadJobExtension')) {
      await this.lib('library.disableUploadJobExtension');
    } else {
      await this.lib('library.setUploadJobExtensionEnabled', { enabled: false });
    }
    this.store = new AppStore();
    return null;
  }

  // ---------------------------------------------------------------------- helpers
  /**
   * A freshly built destination: the current credential every time (never a stale token), and the
   * metadata the server needs (CRE-05): the resource's file name in the account's `filenameHeader`.
   * `previous` (a job's old destination) supplies the name when the resource is unknown (its photo deleted).
   */
  async destination(resource, previous = null) {
    const headers = { Authorization: `Bearer ${this.account.token}` };
    const name = resource ? resource.filename : headerOf(previous, this.account.filenameHeader);
    if (name) headers[this.account.filenameHeader] = name;
    return { url: this.account.uploadUrl, method: 'POST', headers };
  }

  /** `performChanges`: begin, run `body`, commit; abort if `body` throws (a kill ends everything). */
  async changes(body) {
    await this.lib('library.beginChanges');
    let value;
    try {
      value = await body();
    } catch (err) {
      if (!isKilled(err)) await this.lib('library.abortChanges');
      throw err;
    }
    await this.lib('library.commitChanges');
    return value;
  }

  /** Mutate one job in its own change block; false when the job is gone (the failable initialiser). */
  async changeJob(job, mutate) {
    return this.changes(async () => {
      const handle = await this.lib('library.changeRequestFor', { job: job.localIdentifier });
      if (handle === null) return false;
      await mutate(handle.request);
      return true;
    });
  }

  /** The resource a job uploads: our own record first, then PhotoKit's lookup of the profile. */
  async resourceOf(job) {
    for (const [rid, jobId] of this.store.inFlight) {
      if (jobId !== null && jobId === job.localIdentifier) return this.store.resources.get(rid) || null;
    }
    if (this.profile.has('assetResourceForUploadJob')) {
      return this.lib('library.assetResourceForUploadJob', { job: job.localIdentifier });
    }
    return jobField(job, 'resource') || null;
  }

  /** Proof the server kept the bytes: its id header where headers exist, else the succeeded state. */
  serverConfirmation(job) {
    if (!jobHas(job, 'responseHeaderFields')) return job.state === 'succeeded' ? 'confirmed' : null;
    const headers = job.responseHeaderFields || {};
    return headers[this.account.serverIdHeader.toLowerCase()] || null;
  }

  /** Write a job's outcome to the ledger (always before acknowledging it: PhotoKit forgets the job). */
  record(resource, confirmation, job) {
    const store = this.store;
    const rid = resource.resourceId;
    // A kill between recording and acknowledging shows us the same job again: count it once.
    if (store.recorded.has(job.localIdentifier)) return;
    store.recorded.set(job.localIdentifier, rid);
    if (confirmation) {
      store.uploaded.set(rid, confirmation);
      return;
    }
    const attempts = (store.attempts.get(rid) || 0) + 1;
    store.attempts.set(rid, attempts);
    const error = jobField(job, 'error');
    const rejected = Boolean(error) && error.code === URL_ERROR.badServerResponse; // the server said no
    if (rejected || attempts >= this.account.maxAttempts) {
      store.failed.add(rid); // surfaced to the user
    } else if (store.resources.has(rid) && !store.uploaded.has(rid)) {
      store.pending.set(rid, store.resources.get(rid)); // a new job next time
    }
  }

  // ---------------------------------------------------------------------- 26.1: deleted photos
  // On 26.1 `createJob` returns no job id, so a finished job is matched to our in-flight entry through
  // the resource it names. Once its photo is deleted the job names none (AMB-22): nothing would ever end
  // that entry, and the app would answer .processing forever. So:
  //  * when the library says a photo was deleted, its entries of unknown job id become *orphans*;
  //  * a finished job nobody can place (resource null) ends one orphan when its acknowledgement commits;
  //  * if it is acknowledged before the deletion shows (acknowledging comes before the library sync),
  //    it is counted as a *stray*, and pairs with the next orphan the deletion makes.
  // Orphans and strays are both "a job whose photo is gone", so the pairing is by count, not identity.
  // Entries with a known job id never take part: their jobs are found by id.

  /** The orphans still in flight (an acknowledgement that paired one has ended its entry). */
  orphans() {
    const store = this.store;
    for (const rid of store.orphaned) {
      if (store.inFlight.get(rid) !== null) store.orphaned.delete(rid); // ended (undefined) or placed by id
    }
    return store.orphaned;
  }

  /**
   * The resource a finished job ends in our records: its own, or, for a job nobody can place, an
   * orphan not already taken by another job of the same block (`taken`: resourceIds). null: a stray.
   */
  placed(resource, taken = new Set()) {
    if (resource) return resource;
    const free = [...this.orphans()].filter((rid) => !taken.has(rid)).sort();
    return free.length ? this.store.resources.get(free[0]) : null;
  }

  /** The written-down strays were acknowledged: count them, to pair when the deletion shows. */
  strayed() {
    this.store.strays += this.store.straying.size;
    this.store.straying.clear();
  }

  /** Photos deleted from the library (`isDeleted(assetId)`): drop them from the queue, orphan their jobs. */
  forgetDeleted(isDeleted) {
    const store = this.store;
    for (const [rid, resource] of store.pending) if (isDeleted(resource.assetId)) store.pending.delete(rid);
    for (const [rid, jobId] of store.inFlight) {
      const resource = store.resources.get(rid);
      if (jobId === null && resource && isDeleted(resource.assetId)) store.orphaned.add(rid);
    }
    for (const rid of [...this.orphans()].sort()) {
      if (store.strays === 0) break;
      store.inFlight.delete(rid); // its job was one of the strays already acknowledged
      store.strays -= 1;
    }
  }

  /**
   * Commit `commit` (a change block acknowledging jobs), ending the in-flight entries of `pairs`
   * ({ job, placed }). The intent is written first, so a kill at the commit is recoverable by
   * `reconcile`: `recorded` for the entries the jobs end, `straying` for jobs nobody can place (only
   * while entries of unknown id are in flight: otherwise such a job is simply not ours).
   */
  async endJobs(pairs, commit) {
    const store = this.store;
    for (const { job, placed } of pairs) if (placed) store.recorded.set(job.localIdentifier, placed.resourceId);
    if ([...store.inFlight.values()].includes(null)) {
      store.straying = new Set(pairs.filter((p) => !p.placed).map((p) => p.job.localIdentifier));
    }
    const value = await commit();
    for (const { job, placed } of pairs) {
      store.recorded.delete(job.localIdentifier);
      if (placed) store.inFlight.delete(placed.resourceId);
    }
    this.strayed();
    return value;
  }

  // ---------------------------------------------------------------------- extension: one pass
  /** One processing call. Returns "failure", "processing" or "completed"; a kill propagates. */
  async process(ext) {
    try {
      await this.reconcile();
      if (ext.terminating) return 'processing';
      await this.retryFailed(ext);
      if (ext.terminating) return 'processing';
      await this.acknowledgeFinished();
      await this.cancelRedundant();
      if (ext.terminating) return 'processing';
      if ((await this.lib('library.authorizationStatus')) === 'authorized') {
        await this.syncLibrary();
        await this.createJobs(ext);
      }
    } catch (err) {
      const code = photoKitCode(err);
      if (code === null) throw err; // KILLED, or a misuse of the API: forwarded to the harness
      if (code === PHOTOKIT.limitExceeded) return 'processing'; // wait for room under jobLimit
      if (code === PHOTOKIT.persistentChangeTokenExpired) {
        this.store.token = null; // history pruned: enumerate the library again next time
        return 'processing';
      }
      log('processing failed with PhotoKit error', code, err.message);
      return 'failure';
    }
    if (ext.terminating) return 'processing';
    const store = this.store;
    const workLeft = store.inFlight.size > 0 || store.creating.size > 0 ||
      (store.pending.size > 0 && (await this.lib('library.authorizationStatus')) === 'authorized');
    // Unacknowledged jobs are work in progress: "completed" only when nothing is left at all.
    return workLeft ? 'processing' : 'completed';
  }

  /**
   * (1) What an interrupted process left behind. Creations: keep those PhotoKit knows, re-queue the
   * rest. Recorded outcomes whose job is gone: the acknowledgement was applied, the job is no longer
   * in flight.
   */
  async reconcile() {
    const store = this.store;
    if (store.creating.size === 0 && store.recorded.size === 0 && store.straying.size === 0) return;
    const actions = ['acknowledge', 'retry'];
    if (this.profile.has('Action.process')) actions.push('process');
    const live = new Set();
    for (const action of actions) {
      for (const job of await this.lib('library.fetchJobs', { action })) live.add(job.localIdentifier);
    }
    for (const jobId of store.straying) if (live.has(jobId)) store.straying.delete(jobId); // not acknowledged
    this.strayed();
    const lost = [];
    for (const [rid, jobId] of store.creating) {
      if (jobId !== null && live.has(jobId)) store.inFlight.set(rid, jobId);
      else lost.push(store.resources.get(rid));
    }
    store.creating.clear();
    store.requeueFront(lost);
    for (const [jobId, rid] of store.recorded) {
      if (live.has(jobId)) continue; // still to acknowledge: the phases below will
      store.recorded.delete(jobId);
      const current = store.inFlight.get(rid);
      if (current === jobId || current === null) store.inFlight.delete(rid);
    }
  }

  /** (3) Failed jobs: uploaded after all, permanently failed (acknowledge), or transient (retry). */
  async retryFailed(ext) {
    for (const job of await this.lib('library.fetchJobs', { action: 'retry' })) {
      if (ext.terminating) return; // the rest keep their retry for the next call
      const error = jobField(job, 'error'); // absent before 26.4: every failure then gets its one retry
      const confirmed = jobHas(job, 'responseHeaderFields') ? this.serverConfirmation(job) : null;
      const resource = await this.resourceOf(job);
      if (confirmed || (error && PERMANENT_URL_ERRORS.has(error.code))) {
        if (resource) this.record(resource, confirmed, job);
        await this.endJobs([{ job, placed: this.placed(resource) }],
          () => this.changeJob(job, (request) => this.lib('changeRequest.acknowledge', { request })));
        continue;
      }
      // refreshed credentials and the file name, not the job's old request
      const fresh = await this.destination(resource, jobField(job, 'destination'));
      try {
        await this.changeJob(job, (request) => this.lib('changeRequest.retry', { request, destination: fresh }));
      } catch (err) {
        if (photoKitCode(err) !== PHOTOKIT.limitExceeded) throw err;
        break; // no room to retry yet; acknowledging below frees slots
      }
    }
  }

  /** (4) Finished jobs: record each outcome in the ledger, then acknowledge them in one block. */
  async acknowledgeFinished() {
    const jobs = await this.lib('library.fetchJobs', { action: 'acknowledge' });
    const retryable = new Set((await this.lib('library.fetchJobs', { action: 'retry' })).map((j) => j.localIdentifier));
    const done = []; // { job, placed }
    const taken = new Set(); // orphans already paired in this block
    for (const job of jobs) {
      if (retryable.has(job.localIdentifier)) continue; // the retry phase owns it; never handle it twice
      const resource = await this.resourceOf(job);
      const downloadOnly = jobField(job, 'type') === 'downloadOnly'; // no upload happened: no ledger entry
      if (resource && !downloadOnly) this.record(resource, this.serverConfirmation(job), job);
      const placed = this.placed(resource, taken); // a job of a deleted photo may end an orphan
      if (placed && !resource) taken.add(placed.resourceId);
      done.push({ job, placed });
    }
    if (done.length === 0) return;
    await this.endJobs(done, () => this.changes(async () => {
      for (const { job } of done) {
        const handle = await this.lib('library.changeRequestFor', { job: job.localIdentifier });
        if (handle !== null) await this.lib('changeRequest.acknowledge', { request: handle.request });
      }
    }));
  }

  /** (4b) 26.5+: cancel queued jobs whose resource is already on the server (not our current job). */
  async cancelRedundant() {
    if (!this.profile.has('Action.process')) return;
    for (const job of await this.lib('library.fetchJobs', { action: 'process' })) {
      const resource = await this.resourceOf(job);
      if (!resource || !this.store.uploaded.has(resource.resourceId)) continue;
      if (this.store.inFlight.get(resource.resourceId) === job.localIdentifier) continue;
      await this.changeJob(job, (request) => this.lib('changeRequest.cancel', { request }));
    }
  }

  /** (5a) Find work: enumerate the library the first time, then follow persistent changes. */
  async syncLibrary() {
    const store = this.store;
    if (store.token === null) {
      const token = await this.lib('library.currentChangeToken');
      const present = new Set();
      for (const asset of await this.lib('library.fetchAssets')) {
        present.add(asset.assetId);
        asset.resources.forEach((r) => store.queue(r));
      }
      this.forgetDeleted((assetId) => !present.has(assetId)); // deletions a pruned history did not tell
      store.token = token;
      return;
    }
    const changes = await this.lib('library.fetchPersistentChanges', { since: store.token });
    if (changes.inserted.length || changes.updated.length) {
      const wanted = new Set([...changes.inserted, ...changes.updated]);
      for (const asset of await this.lib('library.fetchAssets')) {
        if (wanted.has(asset.assetId)) asset.resources.forEach((r) => store.queue(r));
      }
    }
    const deleted = new Set(changes.deleted);
    this.forgetDeleted((assetId) => deleted.has(assetId));
    store.token = changes.token;
  }

  /** (5b) Fill the free capacity under jobLimit (read at run time) in a single change block. */
  async createJobs(ext) {
    const store = this.store;
    if (store.pending.size === 0) return;
    const limit = await this.lib('library.jobLimit');
    const free = limit - store.inFlight.size - store.creating.size;
    const batch = [...store.pending.values()].slice(0, Math.max(0, free));
    if (batch.length === 0 || ext.terminating) return;
    // The intent goes to storage before any creation call: a kill anywhere below leaves every resource
    // of the batch in `creating`, and the next pass keeps the live ones and re-queues the others.
    for (const r of batch) {
      store.pending.delete(r.resourceId);
      store.creating.set(r.resourceId, null);
    }
    const withPlaceholder = this.profile.has('creationRequestForJob');
    try {
      await this.changes(async () => {
        for (const resource of batch) {
          if (ext.terminating) throw STOPPED; // drop the unfinished block: nothing of it is applied
          const destination = await this.destination(resource);
          if (withPlaceholder) {
            const handle = await this.lib('library.creationRequestForJob', { destination, resource });
            store.creating.set(resource.resourceId, handle.placeholder); // the job id, known before commit
          } else {
            await this.lib('library.createJob', { destination, resource }); // 26.1: the id stays unknown
          }
        }
      });
    } catch (err) {
      if (err === STOPPED || photoKitCode(err) !== null) {
        // The block applied nothing (stopped, or e.g. limitExceeded): the batch is simply due again.
        batch.forEach((r) => store.creating.delete(r.resourceId));
        store.requeueFront(batch);
        if (err === STOPPED) return;
      }
      throw err; // a kill leaves `creating` for the next pass to reconcile
    }
    for (const resource of batch) {
      store.inFlight.set(resource.resourceId, store.creating.get(resource.resourceId));
      store.creating.delete(resource.resourceId);
    }
  }
}

// ============================================================================ dispatch
const sessions = new Map(); // session id -> BackupApp

function appFor(params) {
  const app = sessions.get(params.session);
  if (!app) throw new RpcError(APPLICATION_ERROR, `unknown session ${params.session}`, { type: 'PreconditionFailure' });
  return app;
}

/** An extension process of the session's app: only its termination flag is its own. */
function extensionFor(app, key) {
  if (!app.extensions.has(key)) app.extensions.set(key, { terminating: false });
  return app.extensions.get(key);
}

const handlers = {
  initialize: () => ({ name: NAME, version: VERSION, roles: ['app'], profiles: [], capabilities: [], protocolVersion: PROTOCOL_VERSION }),
  shutdown: () => null,
  echo: (params) => (params.value === undefined ? null : params.value),

  'session.create': (params) => {
    if (params.role !== 'app') {
      throw new RpcError(APPLICATION_ERROR, `this adapter plays only the app role, not ${params.role}`, { type: 'PreconditionFailure' });
    }
    sessions.set(params.session, new BackupApp(peer, params.session, params.profile, params.account));
    return null;
  },
  'session.dispose': (params) => {
    sessions.delete(params.session);
    return null;
  },

  'account.setToken': (params) => {
    appFor(params).account.token = params.token; // the harness rotated the credential
    return null;
  },
  'app.turnOnBackup': (params) => appFor(params).turnOnBackup(),
  'app.signOut': (params) => appFor(params).signOut(),
  'app.makeExtension': (params) => {
    appFor(params).extensions.set(params.extension, { terminating: false }); // a fresh process
    return null;
  },
  'app.uploadedResources': (params) => Object.fromEntries(appFor(params).store.uploaded),
  'app.failedResources': (params) => [...appFor(params).store.failed].sort(),

  // The system calls one protocol's pair: process / notifyTermination on 26.x, processJobs /
  // willTerminate on 27 and macOS. Our pass is the same either way.
  'extension.process': (params) => processingPass(params),
  'extension.processJobs': (params) => processingPass(params),
  'extension.notifyTermination': (params) => terminationNotice(params),
  'extension.willTerminate': (params) => terminationNotice(params),
};

function processingPass(params) {
  const app = appFor(params);
  return app.process(extensionFor(app, params.extension));
}

/**
 * May arrive while one of our calls for this extension's pass is pending: the pass checks the flag
 * between its phases and winds up with "processing".
 */
function terminationNotice(params) {
  extensionFor(appFor(params), params.extension).terminating = true;
  return null;
}

async function dispatch(method, params) {
  const handler = handlers[method];
  if (!handler) throw new RpcError(-32601, `method not found: ${method}`);
  return handler(params);
}

const peer = new Peer(process.stdin, process.stdout, dispatch);
log(`${NAME} ${VERSION} ready (pid ${process.pid})`);
