"""A simulated AWS Elastic Disaster Recovery (moto has no DRS), shared by the sandbox and the tests.

Answers ``StartRecovery``, ``DescribeJobs``, ``DescribeSourceServers`` and
``DescribeRecoveryInstances`` from :class:`sandbox.data.drs_data.Estate`, only with shapes botocore's
``drs`` model accepts (``tests/unit/test_drs_emulator.py`` validates every answer the way
``botocore.stub.Stubber`` does). A job's progress is computed whenever it is read - PENDING, then
STARTED, then COMPLETED, each server LAUNCHED or FAILED - after a few seconds (the sandbox) or after
``complete_after_polls`` ``DescribeJobs`` reads (tests), so no timer threads exist to clean up.
Termination is asynchronous too, as in DRS: ``TerminateRecoveryInstances`` answers a TERMINATE job
that has STARTED, and each instance stays in ``DescribeRecoveryInstances`` (``ec2InstanceState``
``SHUTTING-DOWN``) until :data:`TERMINATION_SECONDS` have passed (the sandbox) or
``terminate_after_polls`` ``DescribeRecoveryInstances`` reads have listed it (tests); the job then
COMPLETES.

Each call acts in one account and one region, from the credentials that signed it (:func:`caller_of`,
:func:`region_of`): keys moto's
STS issued by ``AssumeRole`` act in the role's account (and a session policy limits the actions);
any other keys are the deployment's own and act in the deployment's own account - the one moto's
``GetCallerIdentity`` reports for them - and nowhere else. A server id of another account is unknown.
The region is the one in the signature's credential scope: the estate's servers are source servers
of the recovery region (:data:`sandbox.data.drs_data.REGION`), the servers ``ReverseReplication``
creates are in the origin region (:data:`sandbox.data.drs_data.ORIGIN_REGION`), and jobs and recovery
instances are in the region that started them; nothing is seen from another region.
Every job and server carries the tag ``sandbox:simulated = true``.

Failback (:mod:`sandbox.emulators.drs_failback`): ``ReverseReplication``, ``StartFailbackLaunch``,
``StopFailback``, and the recovery instances' ``originEnvironment`` and ``failback``.

DRS's launch quotas hold (:mod:`sandbox.data.drs_quotas`): a ``StartRecovery`` of more servers than a job
may hold, or one that would take the account's running jobs or their servers beyond the quotas, is
refused with ``ServiceQuotaExceededException``, as DRS does. ``load`` records, after every job that
started, how many jobs and servers were running in its account, so a test can show none was over.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.data import drs_quotas, drs_snapshots
from sandbox.data.drs_calls import Call, DrsError, account_of, caller_of
from sandbox.data.drs_data import REGION, SIMULATED_LABEL, Estate, SourceServer
from sandbox.data.drs_quotas import DrsQuotas
from sandbox.data.drs_shapes import (
    SIMULATED_TAGS,
    Job,
    recovery_instance_shape,
    source_server_shape,
    terminate_job_shape,
)
from sandbox.emulators.drs_failback import Failback, Seen, launch_ended
from sandbox.emulators.drs_native_plans import CREATED_OPERATIONS, NativePlans, uri_members

log = logging.getLogger("sandbox.emulators.drs")
MAX_SERVERS_PER_CALL = 200
DEFAULT_PAGE_SIZE = 100  # the emulator's page when maxResults is absent (DRS documents none)
MAX_PAGE_SIZE = 1000
MAX_ADDED_SERVERS = 2000  # one POST /_sandbox/drs-state/servers
TERMINATION_SECONDS = 5.0  # how long the sandbox's DRS takes to terminate a recovery instance
Answer = tuple[int, dict[str, str], bytes]
Handler = Callable[[str, dict[str, Any]], dict[str, Any]]
RegionalHandler = Callable[[str, dict[str, Any], str], dict[str, Any]]
_SCOPE_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")


@dataclass
class DrsEmulator:
    estate: Estate
    complete_after_polls: int | None = None  # None: jobs complete after a few seconds
    # None: terminated instances go after TERMINATION_SECONDS; n: after n reads listed them
    terminate_after_polls: int | None = None
    failing: set[str] = field(default_factory=set)  # servers that fail to launch, besides the estate's
    # servers that launch but whose post-launch VALIDATION action FAILS (a launchActions hook fails)
    failing_validation: set[str] = field(default_factory=set)
    # True: jobs started from now on launch the failing servers too (a retried wave succeeds); jobs
    # started before keep their outcome, as real DRS jobs would.
    recovered: bool = False
    # Actions refused to every caller (the sandbox's deniedActions fault): a DRS call needing one is
    # refused, and a launch whose EC2 work or PassRole needs one fails, its job log naming it.
    denied_actions: set[str] = field(default_factory=set)
    started: list[dict[str, Any]] = field(default_factory=list)  # every StartRecovery request body
    calls: list[Call] = field(default_factory=list)  # every call: operation, account, role
    # Runs before each call is answered; raising DrsError answers with that error (fault injection).
    before: Callable[[Call, dict[str, Any]], None] | None = None
    quotas: DrsQuotas = field(default_factory=DrsQuotas)  # the sandbox's fault knob overrides
    # (account, running jobs, servers in running jobs) right after each job started
    load: list[tuple[str, int, int]] = field(default_factory=list)
    # None: reversed replication and Failback Clients advance by the clock (sandbox.emulators.drs_failback);
    # n: after n reads listed them short of their last stage (tests)
    failback_after_polls: int | None = None

    def __post_init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._failback = Failback()
        self._terminating: dict[str, Termination] = {}  # recovery instance id -> its termination
        self._terminate_jobs: list[TerminateJob] = []
        self._lock = threading.Lock()
        self.native_plans = NativePlans(self)  # DRS's own recovery plans (sandbox.emulators.drs_native_plans)

    # -- operations ------------------------------------------------------------------------------
    def start_recovery(self, account: str, body: dict[str, Any], region: str = REGION) -> dict[str, Any]:
        requested = [str(s.get("sourceServerID", "")) for s in body.get("sourceServers") or []]
        if not 1 <= len(requested) <= MAX_SERVERS_PER_CALL:
            raise DrsError(400, "ValidationException", f"sourceServers must hold 1 to {MAX_SERVERS_PER_CALL}")
        servers = {sid: self.find(account, region, sid) for sid in requested}
        unknown = [sid for sid, server in servers.items() if server is None]
        if unknown:
            raise DrsError(404, "ResourceNotFoundException", f"source servers not found: {unknown[:5]}")
        failing = {sid for sid, s in servers.items() if sid in self.failing or (s and s.fails_to_launch)}
        if self.failing_recovered():
            failing = set()
        refusal = self.launch_refusal()
        if refusal:
            failing = set(requested)
        with self._lock:
            self._check_quotas(account, len(requested))
            job = self._new_job(account, body, requested, failing)
            job.launch_error, job.region = refusal, region
            self._jobs[job.job_id] = job
            self.started.append(body)
            running = self._running(account)
            self.load.append((account, len(running), sum(len(j.server_ids) for j in running)))
        log.info("[simulated DRS] %s: job %s for %d servers", account, job.job_id, len(requested))
        return {"job": job.shape(time.time())}

    def current_quotas(self) -> DrsQuotas:
        """The quotas in force (the sandbox's fault knob overrides)."""
        return self.quotas

    def _running(self, account: str) -> list[Job]:
        now = time.time()
        return [j for j in self._jobs.values() if j.account_id == account and j.status(now) != "COMPLETED"]

    def _check_quotas(self, account: str, count: int) -> None:
        quotas = self.current_quotas()
        running = self._running(account)
        in_jobs = sum(len(j.server_ids) for j in running)
        if count > quotas.servers_per_job:
            _over(
                drs_quotas.SERVERS_PER_JOB,
                f"{count} source servers in one job: over the quota of {quotas.servers_per_job}",
            )
        if len(running) + 1 > quotas.concurrent_jobs:
            _over(
                drs_quotas.CONCURRENT_JOBS,
                f"{len(running)} jobs are running: the quota of {quotas.concurrent_jobs} concurrent "
                "jobs is reached",
            )
        if in_jobs + count > quotas.servers_in_all_jobs:
            _over(
                drs_quotas.SERVERS_IN_ALL_JOBS,
                f"{in_jobs} source servers are in running jobs and this job adds {count}: over the "
                f"quota of {quotas.servers_in_all_jobs}",
            )

    def _new_job(self, account: str, body: dict[str, Any], requested: list[str], failing: set[str]) -> Job:
        return Job(
            job_id="drsjob-" + uuid.uuid4().hex[:17],
            account_id=account,
            server_ids=requested,
            failing=failing,
            is_drill=bool(body.get("isDrill", False)),
            instance_ids={sid: "i-" + uuid.uuid4().hex[:17] for sid in requested},
            tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
            by_polls=self.complete_after_polls,
            failing_validation=self.failing_validation & set(requested),
        )

    def current_denied(self) -> set[str]:
        """Actions refused to every caller (the sandbox's ``deniedActions`` fault overrides)."""
        return self.denied_actions

    def launch_refusal(self) -> str:
        """Why a launch started now fails as DRS's EC2 work would ("" when nothing stops it): DRS
        launches with the caller's credentials, so a denied EC2 action or PassRole fails it."""
        from handlers.readiness.readiness_permissions import RUN_NEEDS

        launching = {n.action.lower(): n.action for n in RUN_NEEDS if n.action.startswith(("ec2:", "iam:"))}
        denied = sorted(launching[a.lower()] for a in self.current_denied() if a.lower() in launching)
        if not denied:
            return ""
        return (
            f"UnauthorizedOperation: the caller is not authorized to perform: {denied[0]} (DRS launches "
            "recovery instances with the credentials of whoever called StartRecovery)"
        )

    def describe_job_log_items(
        self, account: str, body: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        """A job's log: its start, each server's launch and, once it ended, each failure's rawError."""
        job_id = str(body.get("jobID") or "")
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.account_id != account or job.region != region:
            raise DrsError(404, "ResourceNotFoundException", f"job not found: {job_id[:40]}")
        return {"items": job.log_items(time.time())}

    def describe_replication_configuration_templates(
        self, account: str, body: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        """Every sandbox account is initialized, in every region: one replication configuration
        template each."""
        template_id = "rct-" + account.rjust(17, "0")[-17:]
        return {
            "items": [
                {
                    "replicationConfigurationTemplateID": template_id,
                    "arn": f"arn:aws:drs:{region}:{account}:replication-configuration-template/{template_id}",
                    "stagingAreaSubnetId": "subnet-0sandbox",
                    "replicationServerInstanceType": "t3.small",
                    "tags": dict(SIMULATED_TAGS),
                }
            ]
        }

    def _refuse_denied(self, call: Call) -> None:
        action = f"drs:{call.operation}"
        if action.lower() in {a.lower() for a in self.current_denied()}:
            who = call.role_arn or "the deployment's own role"
            raise DrsError(403, "AccessDeniedException", f"{who} is not authorized to perform: {action}")

    def failing_recovered(self) -> bool:
        """Whether failing servers launch in jobs started now (the sandbox's fault knob overrides)."""
        return self.recovered

    def describe_jobs(self, account: str, body: dict[str, Any], region: str = REGION) -> dict[str, Any]:
        """DRS's filters: ``jobIDs``, and ``fromDate`` / ``toDate`` (ISO 8601) on the job's creation."""
        filters = body.get("filters") or {}
        wanted = set(filters.get("jobIDs") or [])
        earliest, latest = _epoch(filters.get("fromDate"), 0.0), _epoch(filters.get("toDate"), float("inf"))
        now = time.time()
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.account_id == account and j.region == region]
            jobs = [j for j in jobs if (not wanted or j.job_id in wanted) and earliest <= j.started <= latest]
            for job in jobs:
                job.polls += 1
            items = [j.shape(now) for j in sorted(jobs, key=lambda j: -j.started)]
            items += [
                t.shape(self._terminating, now)
                for t in self._terminate_jobs
                if t.account == account and t.region == region and (not wanted or t.job_id in wanted)
            ]
            return {"items": items}

    def describe_source_servers(
        self, account: str, body: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        """DRS's filters (``sourceServerIDs``, ``hardwareId``, ``stagingAccountIDs``; DRS has no
        tag filter) and pages: ``maxResults`` per page (default :data:`DEFAULT_PAGE_SIZE`), an
        opaque ``nextToken`` while more remain."""
        filters = body.get("filters") or {}
        wanted = filters.get("sourceServerIDs") or []
        if wanted:
            found = [self.find(account, region, str(sid)) for sid in dict.fromkeys(wanted)]
            servers = [s for s in found if s is not None]
        else:
            servers = self.servers_in(account, region)
        if filters.get("hardwareId"):  # the emulator's servers have no hardware ids: nothing matches
            servers = []
        if filters.get("stagingAccountIDs"):  # every simulated server stages in its own account
            servers = [s for s in servers if s.account_id in filters["stagingAccountIDs"]]
        start, size = _page(body)
        page = servers[start : start + size]
        now = time.time()
        with self._lock:
            overlays = [self._failback.server_overlay(s, now, count=True) for s in page]
        answer: dict[str, Any] = {
            "items": [
                source_server_shape(s, self._last_launch(account, s.server_id), **overlay)
                for s, overlay in zip(page, overlays, strict=True)
            ]
        }
        if start + size < len(servers):
            answer["nextToken"] = _token(start + size)
        return answer

    def describe_recovery_instances(
        self, account: str, body: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        """Recovery instances exist from their launch until their termination has ended; while it
        runs they are listed ``SHUTTING-DOWN``, and each listing counts towards its end (tests)."""
        wanted = set((body.get("filters") or {}).get("recoveryInstanceIDs") or [])
        now = time.time()
        with self._lock:
            items = []
            for shape in self._instances(account, region, listed=wanted or None):
                instance_id = shape["recoveryInstanceID"]
                ending = self._terminating.get(instance_id)
                if (ending is not None and ending.done(now)) or (wanted and instance_id not in wanted):
                    continue
                if ending is not None:
                    ending.polls += 1
                    shape["ec2InstanceState"] = "SHUTTING-DOWN"
                items.append(shape)
        return {"items": items}

    def describe_recovery_snapshots(
        self, account: str, body: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        server_id = str(body.get("sourceServerID") or "")
        if self.find(account, region, server_id) is None:
            raise DrsError(404, "ResourceNotFoundException", f"source server not found: {server_id[:40]}")
        return drs_snapshots.describe(server_id, body, drs_snapshots.now())

    def terminate_recovery_instances(
        self, account: str, body: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        """Start terminating recovery instances of ``account``: a TERMINATE job that has STARTED;
        the instances go later (see the module). An id that is not a live instance of this account
        is refused (404), and one whose termination runs already too (409): nothing is terminated
        twice."""
        requested = [str(i) for i in body.get("recoveryInstanceIDs") or []]
        if not 1 <= len(requested) <= MAX_SERVERS_PER_CALL:
            limit = MAX_SERVERS_PER_CALL
            raise DrsError(400, "ValidationException", f"recoveryInstanceIDs must hold 1 to {limit}")
        now = time.time()
        with self._lock:
            existing = {s["recoveryInstanceID"]: s for s in self._instances(account, region)}
            gone = {i for i, ending in self._terminating.items() if ending.done(now)}
            unknown = [i for i in requested if i not in existing or i in gone]
            if unknown:
                raise DrsError(
                    404, "ResourceNotFoundException", f"recovery instances not found: {unknown[:5]}"
                )
            ending = [i for i in requested if i in self._terminating]
            if ending:
                raise DrsError(
                    409, "ConflictException", f"recovery instances terminating already: {ending[:5]}"
                )
            for instance_id in requested:
                self._terminating[instance_id] = Termination(now, self.terminate_after_polls)
            job = TerminateJob(
                account, "drsjob-" + uuid.uuid4().hex[:17], now, [existing[i] for i in requested], region
            )
            self._terminate_jobs.append(job)
            shape = job.shape(self._terminating, now)
        log.info("[simulated DRS] %s: terminating %d recovery instances", account, len(requested))
        return {"job": shape}

    def _instances(
        self, account: str, region: str | None, listed: set[str] | None = None, *, count: bool = True
    ) -> list[dict[str, Any]]:
        """The recovery instances of ``account`` in ``region`` (``None``: every region), with their
        origin and failback. Call under the lock. ``count``: the answer lists them (those of
        ``listed`` only, when given), which advances their Failback Clients in tests."""
        now = time.time()
        jobs = [j for j in list(self._jobs.values()) if j.account_id == account]
        shapes = []
        for job in jobs if region is None else [j for j in jobs if j.region == region]:
            for sid in job.launched(now):
                shape = recovery_instance_shape(job, sid, now)
                instance_id = shape["recoveryInstanceID"]
                counted = count and (listed is None or instance_id in listed)
                seen = Seen(now, launch_ended(job), self.failback_after_polls, counted)
                source = self.find(account, job.region, sid)
                shapes.append({**shape, **self._failback.instance_fields(instance_id, source, seen)})
        return shapes

    def find(self, account: str, region: str, server_id: str) -> SourceServer | None:
        """The source server ``server_id`` of ``account`` in ``region``, ``None`` if there is none."""
        if region == REGION:
            found = self.estate.find(account, server_id)
            if found is not None:
                return found
        return self._failback.find(account, region, server_id)

    def servers_in(self, account: str, region: str) -> list[SourceServer]:
        mine = self.estate.in_account(account) if region == REGION else []
        return mine + self._failback.servers(account, region)

    # -- failback (sandbox.emulators.drs_failback) -----------------------------------------------------------
    def reverse_replication(self, account: str, body: dict[str, Any], region: str = REGION) -> dict[str, Any]:
        """Replicate a recovery instance of EC2 origin to the opposite region (see the module)."""
        instance_id = str(body.get("recoveryInstanceID") or "")
        now = time.time()
        with self._lock:
            instance = self._live_instance(account, region, instance_id)
            source = self.find(account, region, instance["sourceServerID"])
            seen = Seen(now, now, self.failback_after_polls)
            arn = self._failback.reverse(instance_id, source, region, seen, self.find)
        log.info("[simulated DRS] %s: %s replicates to %s", account, instance_id, arn)
        return {"reversedDirectionSourceServerArn": arn}

    def start_failback_launch(
        self, account: str, body: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        """Fail back recovery instances at FAILBACK_READY_FOR_LAUNCH: a LAUNCH job initiated by
        FAILBACK that completes like the others; their state is FAILBACK_COMPLETED once it has.
        The model lists no ResourceNotFoundException for this operation: an unknown instance is a
        ValidationException, one that is not ready a ConflictException (its state may change)."""
        requested = list(dict.fromkeys(str(i) for i in body.get("recoveryInstanceIDs") or []))
        if not 1 <= len(requested) <= MAX_SERVERS_PER_CALL:
            limit = MAX_SERVERS_PER_CALL
            raise DrsError(400, "ValidationException", f"recoveryInstanceIDs must hold 1 to {limit}")
        now = time.time()
        with self._lock:
            live = {s["recoveryInstanceID"]: s for s in self._live_instances(account, region)}
            unknown = [i for i in requested if i not in live]
            if unknown:
                message = f"recovery instances not found: {unknown[:5]}"
                raise DrsError(400, "ValidationException", message, extra={"reason": "other"})
            sources = [live[i]["sourceServerID"] for i in requested]
            if len(set(sources)) < len(sources):
                message = "recoveryInstanceIDs hold two recovery instances of one source server"
                raise DrsError(400, "ValidationException", message, extra={"reason": "other"})
            not_ready = self._failback.not_ready(requested, now)
            if not_ready:
                listed = ", ".join(f"{i} ({state})" for i, state in list(not_ready.items())[:5])
                raise DrsError(
                    409,
                    "ConflictException",
                    f"recovery instances not at FAILBACK_READY_FOR_LAUNCH: {listed}",
                    extra={"resourceId": next(iter(not_ready)), "resourceType": "RecoveryInstance"},
                )
            self._check_quotas(account, len(requested))
            job = self._new_job(account, body, sources, set())
            job.region, job.initiated_by = region, "FAILBACK"
            job.instance_ids = {live[i]["sourceServerID"]: i for i in requested}
            self._jobs[job.job_id] = job
            self._failback.launching(requested, job)
        log.info("[simulated DRS] %s: failback job %s for %d instances", account, job.job_id, len(requested))
        return {"job": job.shape(now)}

    def stop_failback(self, account: str, body: dict[str, Any], region: str = REGION) -> dict[str, Any]:
        """Back to FAILBACK_NOT_STARTED (its Failback Client is stopped: it stays there)."""
        instance_id = str(body.get("recoveryInstanceID") or "")
        with self._lock:
            self._live_instance(account, region, instance_id)
            self._failback.stop(instance_id)
        return {}

    def _live_instances(self, account: str, region: str) -> list[dict[str, Any]]:
        """The recovery instances of ``account`` in ``region`` not terminating nor terminated."""
        instances = self._instances(account, region, count=False)
        return [s for s in instances if s["recoveryInstanceID"] not in self._terminating]

    def _live_instance(self, account: str, region: str, instance_id: str) -> dict[str, Any]:
        found = [s for s in self._live_instances(account, region) if s["recoveryInstanceID"] == instance_id]
        if not found:
            raise DrsError(
                404,
                "ResourceNotFoundException",
                f"recovery instance not found: {instance_id[:40]}",
                extra={"resourceId": instance_id[:40], "resourceType": "RecoveryInstance"},
            )
        return found[0]

    def _last_launch(self, account: str, server_id: str) -> str:
        now = time.time()
        with self._lock:
            jobs = [
                j
                for j in self._jobs.values()
                if j.account_id == account and server_id in j.server_ids and j.initiated_by != "FAILBACK"
            ]
        if not jobs:
            return "NOT_STARTED"
        status = max(jobs, key=lambda j: j.started).launch_status(server_id, now)
        return {"LAUNCHED": "SUCCEEDED", "FAILED": "FAILED"}.get(status, "PENDING")

    def add_servers(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        """``POST /_sandbox/drs-state/servers`` (:class:`AddServers`): healthy replicating source
        servers added to an account; answers ``{"sourceServerIds": [...]}`` (201), or a 400 naming
        the field."""
        try:
            request = AddServers.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            return 400, {"error": "VALIDATION_ERROR", "message": f"not a valid servers request: {fields}"}
        with self._lock:
            ids = self.estate.add_healthy(request.accountId, request.count, request.tags)
        log.info("[simulated DRS] %s: %d source servers added", request.accountId, len(ids))
        return 201, {"sourceServerIds": ids}

    # -- what the sandbox shows --------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Account -> its source servers (replication state), recovery instances (region, origin,
        failback state), jobs, and the source servers ReverseReplication created."""
        now = time.time()
        with self._lock:
            jobs = list(self._jobs.values())
            accounts = sorted(set(self.estate.servers) | {j.account_id for j in jobs})
            instances = {a: self._instances(a, None, count=False) for a in accounts}
            reversed_servers = {a: self._failback.summary(a, now) for a in accounts}
        state: dict[str, Any] = {}
        for account in accounts:
            mine = sorted((j for j in jobs if j.account_id == account), key=lambda j: j.started)
            state[account] = {
                "sourceServers": [
                    {
                        "sourceServerID": s.server_id,
                        "hostname": s.hostname,
                        "replicationState": s.replication_state,
                        "tags": dict(s.tags),
                        "lastLaunchResult": self._last_launch(account, s.server_id),
                    }
                    for s in self.estate.in_account(account)
                ],
                "recoveryInstances": [
                    _instance_summary(instance, self._terminating, now) for instance in instances[account]
                ],
                "jobs": [job.shape(now) for job in mine],
                **self.native_plans.state(account),  # native recovery plans and executions
                "reversedSourceServers": reversed_servers[account],
            }
        return state

    # -- botocore hook ---------------------------------------------------------------------------
    def responder(self) -> Callable[[str, Any], Answer]:
        """``respond(operation, request) -> (status, headers, body)``; reads only ``request.headers``
        and ``request.body``, so it can be served in this process or over HTTP."""
        # Operations that act in the region the call was signed for (account, body, region)
        regional: dict[str, RegionalHandler] = {
            "StartRecovery": self.start_recovery,
            "DescribeJobs": self.describe_jobs,
            "DescribeSourceServers": self.describe_source_servers,
            "DescribeRecoveryInstances": self.describe_recovery_instances,
            "DescribeRecoverySnapshots": self.describe_recovery_snapshots,
            "TerminateRecoveryInstances": self.terminate_recovery_instances,
            "DescribeJobLogItems": self.describe_job_log_items,
            "DescribeReplicationConfigurationTemplates": self.describe_replication_configuration_templates,
            "ReverseReplication": self.reverse_replication,
            "StartFailbackLaunch": self.start_failback_launch,
            "StopFailback": self.stop_failback,
        }
        # Operations that take (account, body) and keep their own state per region, if any
        operations: dict[str, Handler] = {**self.native_plans.operations()}

        def respond(operation: str, request: Any) -> Answer:
            handler = operations.get(operation)
            in_region = regional.get(operation)
            try:
                if handler is None and in_region is None:
                    raise DrsError(
                        400, "ValidationException", f"{operation} is not part of the {SIMULATED_LABEL}"
                    )
                call = caller_of(operation, request.headers)
                with self._lock:
                    self.calls.append(call)
                call.check_allowed()
                self._refuse_denied(call)
                body = {**_body(request.body), **uri_members(operation, request)}
                if self.before is not None:
                    self.before(call, body)
                if in_region is not None:
                    result = in_region(call.account, body, region_of(request.headers))
                else:
                    assert handler is not None
                    result = handler(call.account, body)
            except DrsError as exc:
                return exc.answer()
            status = 202 if operation == "StartRecovery" else 201 if operation in CREATED_OPERATIONS else 200
            return status, {"Content-Type": "application/json"}, json.dumps(result).encode()

        return respond


def region_of(headers: Any) -> str:
    """The region a DRS call was signed for (its SigV4 credential scope), else the recovery region."""
    match = _SCOPE_REGION.search(str(headers.get("Authorization", "")))
    return match.group(1) if match else REGION


class AddServers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accountId: str = Field(pattern=r"^\d{12}$")
    count: int = Field(ge=1, le=MAX_ADDED_SERVERS)
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = (
        Field(default_factory=dict, max_length=40)
    )


def _over(quota: str, message: str) -> None:
    raise DrsError(
        402,
        "ServiceQuotaExceededException",
        f"{message} (simulated DRS quota: {quota})",
        extra={"serviceCode": "drs", "quotaCode": drs_quotas.QUOTA_CODES[quota], "resourceType": "Job"},
    )


def _epoch(value: Any, default: float) -> float:
    """An ISO 8601 filter date as epoch seconds; a malformed one is DRS's 400."""
    if not value:
        return default
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise DrsError(400, "ValidationException", "fromDate and toDate must be ISO 8601 dates") from exc


def _body(raw: bytes | str | None) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DrsError(400, "ValidationException", "the request body is not JSON") from exc
    if not isinstance(body, dict):
        raise DrsError(400, "ValidationException", "the request body is not a JSON object")
    return body


def _page(body: dict[str, Any]) -> tuple[int, int]:
    """(offset, size) of the page a describe request asks for; a bad value is DRS's 400."""
    size = body.get("maxResults", DEFAULT_PAGE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise DrsError(400, "ValidationException", "maxResults must be a positive integer")
    token = body.get("nextToken") or ""
    if not token:
        return 0, min(size, MAX_PAGE_SIZE)
    try:
        offset = int(base64.urlsafe_b64decode(str(token).encode()).decode().removeprefix("offset:"))
    except ValueError as exc:
        raise DrsError(400, "ValidationException", "nextToken is not a token this API issued") from exc
    return max(offset, 0), min(size, MAX_PAGE_SIZE)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _instance_summary(
    instance: dict[str, Any], terminating: dict[str, Termination], now: float
) -> dict[str, Any]:
    ending = terminating.get(instance["recoveryInstanceID"])
    state = instance["ec2InstanceState"] if ending is None else "SHUTTING-DOWN"
    return {
        "recoveryInstanceID": instance["recoveryInstanceID"],
        "sourceServerID": instance["sourceServerID"],
        "isDrill": instance["isDrill"],
        "state": "TERMINATED" if ending is not None and ending.done(now) else state,
        "jobID": instance["jobID"],
        "region": instance["arn"].split(":")[3],
        "originEnvironment": instance["originEnvironment"],
        "failbackState": instance["failback"]["state"],
    }


@dataclass
class Termination:
    """One recovery instance's termination: it ends :data:`TERMINATION_SECONDS` after it was
    requested, or once ``after_polls`` DescribeRecoveryInstances reads have listed the instance."""

    requested: float
    after_polls: int | None
    polls: int = 0

    def done(self, now: float) -> bool:
        if self.after_polls is not None:
            return self.polls >= self.after_polls
        return now - self.requested >= TERMINATION_SECONDS


@dataclass
class TerminateJob:
    account: str
    job_id: str
    created: float
    instances: list[dict[str, Any]]
    region: str = REGION

    def shape(self, terminating: dict[str, Termination], now: float) -> dict[str, Any]:
        done = {
            i["recoveryInstanceID"]: terminating[i["recoveryInstanceID"]].done(now) for i in self.instances
        }
        return terminate_job_shape(
            self.account, self.job_id, self.instances, self.created, done, now, self.region
        )


__all__ = ["SIMULATED_TAGS", "Call", "DrsEmulator", "DrsError", "account_of", "caller_of", "region_of"]
