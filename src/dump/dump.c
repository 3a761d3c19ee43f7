/* SPDX-License-Identifier: MIT */
/*
 * dump.c - the dump sequence (see dump.h).
 */
#include "dump/dump.h"
#include "dump/procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/agent.h"
#include "common/error.h"
#include "common/testpoint.h"
#include "dump/copy.h"
#include "dump/loader.h"
#include "dump/outfile.h"
#include "format/codec.h"
#include "format/writer.h"
#include "inject/inject.h"
#include "inject/mem.h"
#include "inject/proc.h"
#include "inject/target.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define PIPE_SIZE (1 << 20)
#define MAX_QUEUE ((size_t)256 << 20)
#define POLL_MS 20
#define CANCEL_GRACE_MS 3000  /* after a cancel, wait this long for the agent to stop */
#define FAIL_GRACE_MS 2000    /* after a failure or timeout */

struct dump {
	const struct ph_dump_opts *o;
	struct ph_dump_result *res;
	struct ph_target t;
	bool target_open;
	struct ph_outfile out;
	struct ph_writer w;
	struct ph_codec *codec;
	bool writer_open;
	int pidfd;
	int agent_fd;     /* our copy of the agent pipe's read end */
	int local[2];     /* our pipe to the reader thread */
	struct ph_copy copy;
	bool copying;
	struct ph_agent_handle h;
	bool loaded;
	struct ph_stale_agent stale[PH_MAX_STALE];
	size_t nstale;
	int lockfd;       /* /proc/PID, flock'ed while we dump it */
	struct ph_agent_state st; /* last read */
	uint64_t start_ns;
	/* metadata gathered before injecting */
	char **argv;
	size_t argc;
	char *argv_blob;
	char exe[4096];
	uint64_t start_ticks; /* when the process started (ph_proc_start) */
	struct ph_procmem mem; /* its resident memory when the agent finished */
	bool have_mem;
	char boot_id[37];
	bool progress_shown;
};

static bool cancelled(const struct dump *d)
{
	return d->o->cancel && *d->o->cancel > 0;
}

static void clear_progress(struct dump *d)
{
	if (d->progress_shown && d->o->progress)
		d->o->progress(d->o->progress_ctx, true, false, 0, 0, 0);
	d->progress_shown = false;
}

static int read_state(struct dump *d)
{
	struct ph_agent_state s;
	int err = ph_mem_read(d->t.pid, d->h.state, &s, offsetof(struct ph_agent_state, message));

	if (err == PH_EEXITED)
		return ph_error(PH_EEXITED, "process %d exited during the dump", (int)d->t.pid);
	if (err)
		return err;
	if (s.magic != PH_AGENT_MAGIC)
		return ph_error(PH_EAGENT, "the agent's state in the target is damaged");
	memcpy(&d->st, &s, offsetof(struct ph_agent_state, message));
	return 0;
}

static int write_state_u32(struct dump *d, size_t off, uint32_t v)
{
	return ph_mem_write(d->t.pid, d->h.state + off, &v, sizeof(v));
}

/* The agent's failure as an error: its code and message. */
static int agent_error(struct dump *d)
{
	char msg[sizeof(d->st.message)];
	int code = d->st.error;

	if (ph_mem_read(d->t.pid, d->h.state + offsetof(struct ph_agent_state, message), msg,
			sizeof(msg)) != 0)
		snprintf(msg, sizeof(msg), "no detail");
	msg[sizeof(msg) - 1] = '\0';
	if (code >= 0 || code < PH_ERR_MIN)
		code = PH_EAGENT;
	if (code == PH_EFINALIZING)
		return ph_error(code, "the Python interpreter of process %d is finalizing: %s",
				(int)d->t.pid, msg);
	return ph_error(code, "the agent failed in process %d: %s", (int)d->t.pid, msg);
}

static bool process_gone(struct dump *d)
{
	if (d->pidfd >= 0) {
		struct pollfd p = {.fd = d->pidfd, .events = POLLIN};

		return poll(&p, 1, 0) > 0;
	}
	return !ph_proc_alive(d->t.pid);
}

static int exited_error(struct dump *d)
{
	return ph_error(PH_EEXITED, "process %d exited during the dump", (int)d->t.pid);
}

/* One injection session running fn. */
static int with_session(struct dump *d, uint64_t timeout_ms, bool interruptible,
			int (*fn)(struct dump *d, struct ph_inject *in))
{
	struct ph_inject in;
	struct ph_error_saved saved;
	uint64_t t0 = ph_now_ns();
	int err, e;

	err = ph_inject_begin(&in, &d->t, ph_deadline_ms(timeout_ms),
			      interruptible ? d->o->cancel : NULL);
	if (err)
		return err;
	t0 = in.pt.v[in.idx].stopped_ns ? in.pt.v[in.idx].stopped_ns : t0;
	if (in.others_ns > d->res->others_ns)
		d->res->others_ns = in.others_ns;
	err = fn(d, &in);
	if (err)
		ph_error_save(&saved);
	e = ph_inject_end(&in);
	d->res->hijack_ns += ph_now_ns() - t0;
	if (in.gil_held)
		d->res->gil_hijack_ns += ph_now_ns() - t0;
	if (err) {
		ph_error_restore(&saved);
	} else if (e) {
		err = e;
		ph_error_context("cannot restore the hijacked thread");
	}
	return err;
}

static int load_fn(struct dump *d, struct ph_inject *in)
{
	struct ph_agent_args args;
	int err;

	memset(&args, 0, sizeof(args));
	args.out_fd = -1;
	args.flags = d->o->no_values ? PH_AGENT_NO_VALUES : 0;
	args.attach_timeout_ms = (uint32_t)(d->o->timeout_ms > UINT32_MAX ? UINT32_MAX : d->o->timeout_ms);
	args.max_value_len = d->o->max_value_len;
	args.dumper_pid = (uint64_t)getpid();
	err = ph_loader_load(in, d->pidfd, &args, d->stale, d->nstale, &d->res->stale_unloaded,
			     &d->h);
	if (!err)
		d->loaded = true;
	return err;
}

static int unload_fn(struct dump *d, struct ph_inject *in)
{
	int err = ph_loader_unload(in, &d->h);

	if (!err)
		d->loaded = false;
	return err;
}

/*
 * Wait until the agent thread has exited: after DONE it still runs libc's
 * thread exit, possibly waiting for a malloc lock; unloading under it (or
 * hijacking it) would crash the target.
 */
static int agent_thread_gone(struct dump *d, uint64_t timeout_ms)
{
	uint64_t until = ph_deadline_ms(timeout_ms);
	pid_t host;

	if (d->st.tid <= 0)
		return ph_error(PH_EAGENT, "the agent did not say which thread it runs on");
	/* the agent knows its thread by its number in the target's pid namespace */
	while ((host = ph_proc_host_tid(d->t.pid, d->st.tid)) != 0) {
		d->t.avoid_tid = host;
		if (ph_now_ns() > until)
			return ph_error(PH_ETIMEOUT, "the agent's thread %d in process %d did not exit",
					(int)host, (int)d->t.pid);
		if (process_gone(d))
			return exited_error(d);
		usleep(500);
	}
	return 0;
}

/* Unload the agent (a second session) and check its mapping is gone. */
static int unload(struct dump *d)
{
	int err = agent_thread_gone(d, d->o->timeout_ms);

	if (err)
		return err;
	ph_test_point("unload");
	err = with_session(d, d->o->timeout_ms, false, unload_fn);
	if (!err)
		ph_test_point("unloaded");
	return err;
}

/*
 * One dump at a time per process: an exclusive flock on /proc/PID (the same
 * inode for every opener that shares our /proc), released by the kernel
 * when we exit, however we exit.
 */
static int lock_target(struct dump *d)
{
	char path[64];

	if (d->t.pid <= 0)
		return ph_error(PH_ENOPROC, "no process with pid %d", (int)d->t.pid);
	snprintf(path, sizeof(path), "/proc/%d", (int)d->t.pid);
	d->lockfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->lockfd < 0 && (errno == ENOENT || errno == ESRCH))
		return ph_error(PH_ENOPROC, "no process with pid %d", (int)d->t.pid);
	if (d->lockfd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot open %s", path);
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return ph_error_errno(PH_EIO, errno, "cannot lock %s", path);
	return ph_error(PH_EBUSY,
			"process %d is being dumped by another pyheap right now: wait for it to "
			"finish",
			(int)d->t.pid);
}

/*
 * Agents left loaded by dumps that were killed: one whose thread still runs
 * (waiting for a reader that will never come, or for the GIL) is told to stop
 * and waited for; the load session unloads them (loader.h).
 */
static int stale_agents(struct dump *d)
{
	int err = ph_loader_find_stale(&d->t, d->stale, &d->nstale);

	if (err)
		return err;
	for (size_t i = 0; i < d->nstale; i++) {
		struct ph_stale_agent *s = &d->stale[i];
		uint64_t until = ph_deadline_ms(3000);
		uint32_t one = 1;

		if (!s->same_build || !s->running)
			continue;
		ph_mem_write(d->t.pid, s->h.state + offsetof(struct ph_agent_state, cancel), &one,
			     sizeof(one));
		while (ph_proc_host_tid(d->t.pid, s->tid) && ph_now_ns() < until && !cancelled(d))
			usleep(2000);
		if (cancelled(d))
			return ph_error(PH_EINTR, "interrupted");
		if (ph_proc_host_tid(d->t.pid, s->tid))
			return ph_error(PH_EBUSY,
					"an agent that an earlier pyheap dump left in process %d still "
					"runs (thread %d) and did not stop when asked (it waits for the "
					"GIL?): try again later",
					(int)d->t.pid, (int)s->tid);
		s->running = false;
	}
	return 0;
}

/*
 * Stop the agent (cancel) and unload it if it finishes within grace_ms; a
 * second Ctrl-C ends the wait. Records in res what was left behind. May
 * record errors of its own: the caller keeps the one it reports.
 */
static void stop_agent(struct dump *d, uint64_t grace_ms)
{
	uint64_t until = ph_deadline_ms(grace_ms);

	if (!d->loaded)
		return;
	if (process_gone(d)) {
		d->loaded = false;
		return;
	}
	write_state_u32(d, offsetof(struct ph_agent_state, cancel), 1);
	if (d->agent_fd >= 0) {
		close(d->agent_fd); /* the agent's writes fail with EPIPE */
		d->agent_fd = -1;
	}
	for (;;) {
		if (read_state(d) != 0)
			break;
		if (d->st.phase == PH_AGENT_DONE || d->st.phase == PH_AGENT_FAILED)
			break;
		if (ph_now_ns() > until || (d->o->cancel && *d->o->cancel > 1))
			break; /* a second Ctrl-C: do not wait */
		usleep(POLL_MS * 1000);
	}
	if (d->st.phase == PH_AGENT_DONE || d->st.phase == PH_AGENT_FAILED) {
		if (unload(d) != 0) {
			snprintf(d->res->warning, sizeof(d->res->warning),
				 "the agent could not be unloaded from process %d: %s", (int)d->t.pid,
				 ph_error_detail());
			d->res->agent_left = true;
		}
		return;
	}
	if (!process_gone(d)) {
		d->res->agent_left = true;
		snprintf(d->res->warning, sizeof(d->res->warning),
			 "the agent in process %d was told to stop but is still %s; it will end by "
			 "itself %s, and its library (about %zu KiB) stays mapped until the process "
			 "exits",
			 (int)d->t.pid,
			 d->st.phase == PH_AGENT_WAIT_GIL ? "waiting for the GIL" : "running",
			 d->st.phase == PH_AGENT_WAIT_GIL ? "as soon as it gets the GIL" : "shortly",
			 (size_t)(ph_agent_blob_end - ph_agent_blob) / 1024);
	}
}

/* Wait until the agent publishes its pipe, then take its read end. */
static int take_pipe(struct dump *d)
{
	uint64_t until = ph_deadline_ms(d->o->timeout_ms);
	int fd, err;

	for (uint32_t beat = 1;; beat++) {
		err = write_state_u32(d, offsetof(struct ph_agent_state, beat), beat);
		if (!err)
			err = read_state(d);
		if (err)
			return process_gone(d) ? exited_error(d) : err;
		if (d->st.phase == PH_AGENT_FAILED)
			return agent_error(d);
		if (d->st.pipe_fd >= 0)
			break;
		if (cancelled(d))
			return ph_error(PH_EINTR, "interrupted");
		if (ph_now_ns() > until)
			return ph_error(PH_ETIMEOUT, "timed out waiting for the agent to start");
		if (process_gone(d))
			return exited_error(d);
		usleep(1000);
	}
	fd = ph_proc_take_fd(d->t.pid, d->pidfd, (int)d->st.pipe_fd, O_RDONLY);
	if (fd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot take the agent's pipe from process %d",
				      (int)d->t.pid);
	d->agent_fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ph_test_point("pipe-taken");
	return write_state_u32(d, offsetof(struct ph_agent_state, reader_attached), 1);
}

/* Move the stream from the agent's pipe to the reader thread while watching the agent. */
static int pump(struct dump *d)
{
	uint64_t phase_since = ph_now_ns(), last_bytes = 0, last_progress = ph_now_ns();
	uint64_t last_show = 0;
	int32_t phase = 0;
	bool eof = false, out_full = false;
	int err = 0;

	while (!eof) {
		struct pollfd p[3];
		int np = 0;
		uint64_t now;

		p[np++] = (struct pollfd){.fd = out_full ? -1 : d->agent_fd, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = out_full ? d->local[1] : -1, .events = POLLOUT};
		p[np++] = (struct pollfd){.fd = d->pidfd, .events = POLLIN};
		if (poll(p, (nfds_t)np, POLL_MS) < 0 && errno != EINTR)
			return ph_error_errno(PH_EIO, errno, "poll");
		for (;;) {
			ssize_t k = splice(d->agent_fd, NULL, d->local[1], NULL, PIPE_SIZE,
					   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);

			if (k > 0) {
				out_full = false;
				continue;
			}
			if (k == 0) {
				eof = true;
				break;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return ph_error_errno(PH_EIO, errno, "cannot read the agent's stream");
			/* EAGAIN: nothing to read, or our pipe is full */
			{
				struct pollfd q = {.fd = d->local[1], .events = POLLOUT};

				out_full = poll(&q, 1, 0) == 0;
			}
			break;
		}
		{
			/* the writer failed (no space?): the caller aborts, then closes our pipe, then joins */
			int ce = ph_copy_error(&d->copy);

			if (ce)
				return ph_error(ce, "%s", d->copy.msg);
		}
		if (cancelled(d))
			return ph_error(PH_EINTR, "interrupted");
		err = read_state(d);
		if (err)
			return process_gone(d) ? exited_error(d) : err;
		now = ph_now_ns();
		if (d->st.phase != phase) {
			phase = d->st.phase;
			phase_since = now;
			if (phase == PH_AGENT_WALKING)
				ph_test_point("walking");
		}
		if (d->st.bytes != last_bytes || out_full) {
			/* progress, or the agent waits for us (compression behind): not a stall */
			last_bytes = d->st.bytes;
			last_progress = now;
		}
		if (phase == PH_AGENT_FAILED)
			break; /* the stream ends too; the error is reported after */
		if (phase != PH_AGENT_WALKING && phase != PH_AGENT_DONE &&
		    now - phase_since > d->o->timeout_ms * 1000000u)
			return ph_error(PH_ETIMEOUT,
					"timed out after %.1f s waiting for the GIL in process %d: a thread "
					"holds it and does not let go (a long call into C code?); try again, "
					"or give a longer --timeout",
					(double)(now - phase_since) / 1e9, (int)d->t.pid);
		if (phase == PH_AGENT_WALKING && now - last_progress > d->o->timeout_ms * 1000000u)
			return ph_error(PH_ETIMEOUT, "the agent in process %d made no progress for %.1f s",
					(int)d->t.pid, (double)(now - last_progress) / 1e9);
		if (!eof && (p[2].revents & POLLIN) && process_gone(d))
			return exited_error(d);
		if (d->o->progress && now - last_show > 100000000u) {
			bool waiting = phase == PH_AGENT_WAIT_GIL || phase == PH_AGENT_WAIT_READER ||
				       phase == PH_AGENT_STARTING;

			last_show = now;
			d->progress_shown = true;
			d->o->progress(d->o->progress_ctx, false, waiting,
				       (double)(now - phase_since) / 1e9, d->st.objects, d->st.bytes);
		}
	}
	return 0;
}

/* After the stream ended: wait (briefly) for the agent's final phase. */
static int agent_outcome(struct dump *d)
{
	uint64_t until = ph_deadline_ms(d->o->timeout_ms < 5000 ? d->o->timeout_ms : 5000);

	for (;;) {
		int err = read_state(d);

		if (err)
			return process_gone(d) ? exited_error(d) : err;
		if (d->st.phase == PH_AGENT_DONE)
			return 0;
		if (d->st.phase == PH_AGENT_FAILED)
			return agent_error(d);
		if (ph_now_ns() > until)
			return ph_error(PH_ETIMEOUT, "the agent closed its stream but did not finish");
		usleep(1000);
	}
}

/*
 * The dumper's metadata, after the agent's (the reader keeps the last record
 * of a key): what it knows better than the agent (the pid as this host sees
 * it, argv and executable from /proc, and start_ticks and boot_id, which with
 * the pid name the process for good) or alone (pause_ns with the complete
 * GIL hold, duration_ns). The agent writes the rest: hostname (its own UTS
 * namespace), time_ns (the snapshot), writer, values, max_value_len (as
 * capped).
 */
static int write_meta(struct dump *d)
{
	struct ph_writer *w = &d->w;
	int err;

	err = ph_writer_meta_uint(w, "pid", (uint64_t)d->t.pid);
	if (!err && d->argv)
		err = ph_writer_meta_strlist(w, "argv", (const char *const *)d->argv, d->argc);
	if (!err && d->exe[0])
		err = ph_writer_meta_str(w, "executable", d->exe);
	if (!err && d->start_ticks)
		err = ph_writer_meta_uint(w, "start_ticks", d->start_ticks);
	if (!err && d->boot_id[0])
		err = ph_writer_meta_str(w, "boot_id", d->boot_id);
	if (!err && d->have_mem) {
		const struct ph_procmem *m = &d->mem;

		if ((err = ph_writer_meta_uint(w, "mem_rss", m->rss)) ||
		    (err = ph_writer_meta_uint(w, "mem_file", m->file)) ||
		    (err = ph_writer_meta_uint(w, "mem_stack", m->stack)) ||
		    (err = ph_writer_meta_uint(w, "mem_brk", m->brk)))
			return err;
		err = ph_writer_meta_uint(w, "mem_anon", m->anon);
	}
	if (!err)
		err = ph_writer_meta_uint(w, "pause_ns", d->st.pause_ns);
	if (!err)
		err = ph_writer_meta_uint(w, "duration_ns", d->res->duration_ns);
	return err;
}

int ph_dump_run(const struct ph_dump_opts *o, struct ph_dump_result *res)
{
	struct dump d;
	struct ph_writer_opts wo;
	struct ph_sink sink;
	sigset_t chld, old;
	int err, e;

	memset(&d, 0, sizeof(d));
	memset(res, 0, sizeof(*res));
	d.o = o;
	d.res = res;
	d.pidfd = d.agent_fd = d.local[0] = d.local[1] = d.lockfd = -1;
	d.out.fd = d.out.dirfd = -1; /* nothing to close before ph_outfile_create */
	d.start_ns = ph_now_ns();
	/* ptrace stops arrive as SIGCHLD: keep it blocked in every thread we create */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &old);

	d.t.pid = o->pid;
	err = lock_target(&d);
	if (err)
		goto out;
	ph_test_point("locked");
	err = ph_target_open(&d.t, o->pid);
	if (err)
		goto out;
	d.target_open = true;
	if (ph_proc_cmdline(o->pid, &d.argv, &d.argc, &d.argv_blob) != 0)
		d.argv = NULL;
	if (ph_proc_exe(o->pid, d.exe, sizeof(d.exe)) != 0)
		d.exe[0] = '\0';
	if (ph_proc_start(o->pid, &d.start_ticks, d.boot_id) != 0)
		d.start_ticks = 0;
	ph_error_clear();

	err = ph_outfile_create(&d.out, o->output, o->default_name);
	if (err)
		goto out;
	snprintf(res->path, sizeof(res->path), "%s", d.out.path);
	ph_test_point("outfile");
	d.codec = ph_zstd_codec_new(0);
	if (!d.codec) {
		err = ph_error(PH_ENOMEM, "cannot create the zstd compressor");
		goto out;
	}
	memset(&wo, 0, sizeof(wo));
	wo.codec = d.codec;
	ph_sink_fd(&sink, &d.out.fd);
	err = ph_writer_open(&d.w, &sink, &wo);
	if (err)
		goto out;
	d.writer_open = true;
	d.pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
	ph_test_point("ready");
	err = stale_agents(&d);
	if (err)
		goto out;

	/* load and start the agent */
	err = with_session(&d, o->timeout_ms, true, load_fn);
	if (err)
		goto out;
	err = take_pipe(&d);
	if (err)
		goto out;
	if (pipe2(d.local, O_CLOEXEC) < 0) {
		err = ph_error_errno(PH_EIO, errno, "pipe");
		goto out;
	}
	fcntl(d.local[1], F_SETPIPE_SZ, PIPE_SIZE);
	fcntl(d.local[1], F_SETFL, fcntl(d.local[1], F_GETFL) | O_NONBLOCK);
	err = ph_copy_start(&d.copy, d.local[0], &d.w, MAX_QUEUE);
	if (err)
		goto out;
	d.copying = true;
	err = pump(&d);
	if (err)
		goto out;
	close(d.local[1]);
	d.local[1] = -1;
	ph_test_point("streamed");
	err = agent_outcome(&d);
	if (err)
		goto out;
	err = ph_copy_join(&d.copy);
	d.copying = false;
	if (err)
		goto out;
	res->pause_ns = d.st.pause_ns;
	res->objects = d.copy.objects;

	/* unload, then finish the file */
	close(d.agent_fd);
	d.agent_fd = -1;
	e = unload(&d);
	if (e == PH_EEXITED || (e && process_gone(&d))) {
		/* the process ended after the dump was complete: nothing is left behind */
		snprintf(res->warning, sizeof(res->warning),
			 "process %d exited right after the dump", (int)o->pid);
	} else if (e) {
		res->agent_left = true;
		snprintf(res->warning, sizeof(res->warning),
			 "the dump is complete, but the agent could not be unloaded from process %d: %s",
			 (int)o->pid, ph_error_detail());
	}
	/* where its memory is, right after the agent left (its own memory freed) */
	d.have_mem = !e && ph_procmem_read(o->pid, &d.mem) == 0;
	ph_error_clear();
	res->duration_ns = ph_now_ns() - d.start_ns;
	ph_test_point("commit");
	err = write_meta(&d);
	if (!err)
		err = ph_writer_close(&d.w);
	if (!err) {
		struct stat sb;

		if (fstat(d.out.fd, &sb) == 0)
			res->file_size = (uint64_t)sb.st_size;
		err = ph_outfile_commit(&d.out);
	}
out:
	clear_progress(&d);
	if (err) {
		struct ph_error_saved saved;

		ph_error_save(&saved);
		if (d.copying)
			ph_copy_abort(&d.copy);
		if (d.loaded && err != PH_EEXITED)
			stop_agent(&d, err == PH_EINTR ? CANCEL_GRACE_MS : FAIL_GRACE_MS);
		if (d.copying) {
			if (d.local[1] >= 0) {
				close(d.local[1]);
				d.local[1] = -1;
			}
			ph_copy_join(&d.copy);
			d.copying = false;
		}
		ph_outfile_abort(&d.out);
		ph_error_restore(&saved);
	}
	if (d.writer_open)
		ph_writer_release(&d.w);
	if (d.codec)
		ph_zstd_codec_free(d.codec);
	if (d.agent_fd >= 0)
		close(d.agent_fd);
	if (d.local[0] >= 0)
		close(d.local[0]);
	if (d.local[1] >= 0)
		close(d.local[1]);
	if (d.pidfd >= 0)
		close(d.pidfd);
	if (d.lockfd >= 0)
		close(d.lockfd);
	free(d.argv);
	free(d.argv_blob);
	if (d.target_open)
		ph_target_release(&d.t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}
