/* SPDX-License-Identifier: MIT */
/*
 * cmd_dump.c - `pyheap dump`: options, docker container resolution, signal
 * handling, progress and the final report around ph_dump_run().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h" /* PH_PY_RANGE */
#include "cli/cli.h"
#include "common/buf.h"
#include "common/error.h"
#include "dump/dump.h"
#include "inject/ptrace.h"

extern char **environ;

enum { OPT_TIMEOUT = 256, OPT_NO_VALUES, OPT_MAX_VALUE_LEN, OPT_DOCKER };

#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_MAX_VALUE_LEN 1024

static const struct ph_opt opts[] = {
	{"pid", 'p', "PID", "The process to dump (its process id, as this host sees it)."},
	{"docker-container", OPT_DOCKER, "NAME",
	 "Dump the main process of this Docker container instead of --pid (its host pid is "
	 "asked of `docker inspect`)."},
	{"output", 'o', "FILE",
	 "Where to write the dump (default: pyheap-PID-YYYYmmdd-HHMMSS.pyheap in the current "
	 "directory; a directory given here gets that name in it). The file is created with "
	 "mode 0600 and appears under this name only once it is complete; an existing file of "
	 "that name is replaced. '-' or /dev/stdout writes to standard output (not a terminal), "
	 "and an existing FIFO or character device (/dev/null) of root's or yours is written "
	 "into, never replaced; any other special file, or a symlink to one, is refused. The "
	 "destination is checked before the process is touched."},
	{"file", 'f', "FILE", "Same as --output."},
	{"timeout", OPT_TIMEOUT, "SECONDS",
	 "Give up after this long on any one wait: stopping the threads, a thread to borrow, "
	 "the agent's start, the GIL (a thread stuck in a long C call holds it), a stall of the "
	 "dump stream, the unload (default 30)."},
	{"no-values", OPT_NO_VALUES, NULL,
	 "Leave out what the program holds, which may be secrets: the contents of str and bytes "
	 "(lengths kept), int, float and big int values, thread names and the command line's "
	 "arguments. Kept: the heap's shape and the names of code (attribute, class, function, "
	 "module and local names)."},
	{"max-value-len", OPT_MAX_VALUE_LEN, "N",
	 "Keep at most N bytes of each str and bytes value (default 1024)."},
	{"quiet", 'q', NULL, "Print nothing but errors and warnings."},
	PH_OPT_HELP,
	PH_OPT_END,
};

static volatile sig_atomic_t cancel_count;
static volatile pid_t worker;

/* In the worker: each SIGINT/SIGTERM/SIGHUP is one more cancel request. */
static void on_signal(int sig)
{
	(void)sig;
	if (cancel_count < 100)
		cancel_count++;
}

/* In the front end: pass the request on to the worker. */
static void forward(int sig)
{
	(void)sig;
	if (worker > 0)
		kill(worker, SIGTERM);
}

static void handle(void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void progress(void *ctx, bool done, bool waiting_gil, double wait_s, uint64_t objects,
		     uint64_t bytes)
{
	char b[32];

	(void)ctx;
	fputs("\r\033[K", stderr);
	if (!done) {
		if (waiting_gil)
			fprintf(stderr, "pyheap dump: waiting for the GIL (%.1f s)", wait_s);
		else
			fprintf(stderr, "pyheap dump: %" PRIu64 " objects, %s", objects,
				ph_human_bytes(bytes, b));
	}
	fflush(stderr);
}

/* `docker inspect -f {{.State.Pid}} NAME`, bounded by timeout_ms. */
static int docker_pid(const char *name, uint64_t timeout_ms, pid_t *out)
{
	static char a0[] = "docker", a1[] = "inspect", a2[] = "-f", a3[] = "{{.State.Pid}}";
	char *argv[] = {a0, a1, a2, a3, (char *)name, NULL};
	char obuf[256] = "", ebuf[1024] = "";
	size_t on = 0, en = 0;
	int opipe[2], epipe[2], status = 0, e;
	posix_spawn_file_actions_t fa;
	uint64_t until = ph_deadline_ms(timeout_ms);
	pid_t child;
	long v;
	char *end;

	if (pipe2(opipe, O_CLOEXEC) < 0)
		return ph_error_errno(PH_EIO, errno, "pipe");
	if (pipe2(epipe, O_CLOEXEC) < 0) {
		e = errno;
		close(opipe[0]);
		close(opipe[1]);
		return ph_error_errno(PH_EIO, e, "pipe");
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	e = posix_spawnp(&child, "docker", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(opipe[1]);
	close(epipe[1]);
	if (e) {
		close(opipe[0]);
		close(epipe[0]);
		return ph_error_errno(PH_ENOPROC, e, "cannot find container '%s': cannot run docker",
				      name);
	}
	while (opipe[0] >= 0 || epipe[0] >= 0) {
		struct pollfd p[2] = {{.fd = opipe[0], .events = POLLIN}, {.fd = epipe[0], .events = POLLIN}};
		uint64_t now = ph_now_ns();
		int ms = now >= until ? 0 : (int)((until - now) / 1000000u) + 1;

		if (poll(p, 2, ms) <= 0) {
			kill(child, SIGKILL);
			break;
		}
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &epipe[0] : &opipe[0];
			char *buf = i ? ebuf : obuf;
			size_t *n = i ? &en : &on, cap = i ? sizeof(ebuf) : sizeof(obuf);
			ssize_t k;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			k = read(*fd, buf + *n, cap - 1 - *n);
			if (k > 0) {
				*n += (size_t)k;
				buf[*n] = '\0';
			}
			if (k <= 0 || *n == cap - 1) { /* the end, or full: stop reading this one */
				close(*fd);
				*fd = -1;
			}
		}
	}
	if (opipe[0] >= 0)
		close(opipe[0]);
	if (epipe[0] >= 0)
		close(epipe[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	ebuf[strcspn(ebuf, "\n")] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ph_error(PH_ENOPROC, "cannot find container '%s': docker inspect failed: %s", name,
				ebuf[0] ? ebuf : WIFSIGNALED(status) ? "timed out" : "no message");
	errno = 0;
	v = strtol(obuf, &end, 10);
	if (errno || end == obuf || (*end && *end != '\n'))
		return ph_error(PH_ENOPROC, "cannot find container '%s': docker inspect printed '%s'",
				name, obuf);
	if (v <= 0)
		return ph_error(PH_ENOPROC, "container '%s' is not running", name);
	*out = (pid_t)v;
	return 0;
}

/* The worker's part: the dump, and what it says about it. Returns the exit status. */
static int run_worker(const struct ph_cmd *cmd, struct ph_dump_opts *o, pid_t pid, bool quiet)
{
	struct ph_dump_result res;
	char b[32];
	int err;

	err = ph_dump_run(o, &res);
	if (res.warning[0]) { /* it may quote the target (its name, a path): escaped */
		struct ph_buf wb = PH_BUF_INIT;

		fprintf(stderr, "pyheap dump: warning: %s\n",
			ph_cli_name(&wb, res.warning, strlen(res.warning)));
		ph_buf_release(&wb);
	}
	if (res.stale_unloaded && !quiet)
		fprintf(stderr,
			"pyheap dump: unloaded %zu agent%s that interrupted dumps had left in process "
			"%d\n",
			res.stale_unloaded, res.stale_unloaded == 1 ? "" : "s", (int)pid);
	if (err) {
		if (err == PH_EINTR)
			fprintf(stderr, "pyheap dump: interrupted; process %d was restored%s\n", (int)pid,
				res.agent_left ? " (see the warning above)" : "");
		else
			ph_fail(cmd, err);
		return ph_exit_status(err);
	}
	if (!quiet) {
		FILE *to = res.to_stdout ? stderr : stdout; /* never into the dump */

		fprintf(to,
			"pyheap dump: %" PRIu64 " objects, %s written to %s; the target's Python "
			"threads were paused for %.1f ms (and one thread for %.1f ms to load and "
			"unload the agent",
			res.objects, ph_human_bytes(res.file_size, b), res.path,
			(double)(res.pause_ns + res.gil_hijack_ns) / 1e6, (double)res.hijack_ns / 1e6);
		if (res.others_ns)
			fprintf(to, "; each other thread was stopped for at most %.2f ms",
				(double)res.others_ns / 1e6);
		fprintf(to, ")\n");
	}
	fflush(stdout);
	return res.agent_left ? 1 : 0;
}

static int cmd_dump(const struct ph_cmd *cmd, int argc, char **argv)
{
	struct ph_dump_opts o;
	const char *arg, *output = NULL, *docker = NULL;
	char defname[128];
	uint64_t timeout_s = DEFAULT_TIMEOUT_S, v;
	bool quiet = false, have_pid = false;
	pid_t pid = 0;
	int c, err;

	memset(&o, 0, sizeof(o));
	o.max_value_len = DEFAULT_MAX_VALUE_LEN;
	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case -2:
			return 2;
		case 'p':
			if (ph_parse_u64(cmd, "--pid", arg, &v) < 0)
				return 2;
			if (v == 0 || v > INT32_MAX)
				return ph_usage_error(cmd, "--pid needs a process id, not '%s'", arg);
			pid = (pid_t)v;
			have_pid = true;
			break;
		case 'o':
		case 'f':
			output = arg;
			break;
		case OPT_TIMEOUT:
			if (ph_parse_u64(cmd, "--timeout", arg, &timeout_s) < 0)
				return 2;
			if (timeout_s == 0 || timeout_s > 86400)
				return ph_usage_error(cmd, "--timeout needs 1 to 86400 seconds, not '%s'",
						      arg);
			break;
		case OPT_NO_VALUES:
			o.no_values = true;
			break;
		case OPT_MAX_VALUE_LEN:
			if (ph_parse_u64(cmd, "--max-value-len", arg, &o.max_value_len) < 0)
				return 2;
			break;
		case OPT_DOCKER:
			docker = arg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return 2;
		}
	}
	if (optind < argc)
		return ph_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (have_pid == !!docker)
		return ph_usage_error(cmd, "give either --pid PID or --docker-container NAME");
	if (docker) {
		err = docker_pid(docker, timeout_s * 1000, &pid);
		if (err)
			return ph_fail(cmd, err);
	}
	{
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		snprintf(defname, sizeof(defname), "pyheap-%d-%04d%02d%02d-%02d%02d%02d.pyheap",
			 (int)pid, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
	}
	o.pid = pid;
	o.output = output ? output : ".";
	o.default_name = defname;
	o.timeout_ms = timeout_s * 1000;
	o.cancel = &cancel_count;
	if (!quiet && ph_stderr_tty())
		o.progress = progress;

	/*
	 * The dump itself runs in a worker process in a session of its own: it
	 * holds the target, and nothing that kills this front end (SIGKILL, the
	 * OOM killer picking it, a kill of its process group, a hangup) reaches
	 * it unannounced. Ctrl-C, SIGTERM and SIGHUP here are passed on as
	 * cancel requests; if this process dies, the worker gets SIGTERM
	 * (PR_SET_PDEATHSIG): it cancels, puts the target back and exits.
	 */
	fflush(stdout);
	fflush(stderr);
	{
		pid_t front = getpid(), w;
		int st = 0;

		w = fork();
		if (w < 0)
			return ph_fail(cmd, ph_error_errno(PH_EIO, errno, "fork"));
		if (w == 0) {
			setsid();
			handle(on_signal, 0); /* no SA_RESTART: blocking calls return EINTR */
			signal(SIGPIPE, SIG_IGN);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != front)
				cancel_count++; /* the front end is gone already */
			exit(run_worker(cmd, &o, pid, quiet));
		}
		worker = w;
		handle(forward, SA_RESTART);
		while (waitpid(w, &st, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		fprintf(stderr, "pyheap dump: the dumping process %d was killed by signal %d\n", (int)w,
			WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		return 1;
	}
}

const struct ph_cmd ph_cmd_dump = {
	.name = "dump",
	.summary = "Take a heap dump of a running CPython " PH_PY_RANGE " process",
	.synopsis = "--pid PID | --docker-container NAME [-o FILE] [OPTIONS]",
	.description =
		"Attaches to the process with ptrace (no gdb), borrows one of its threads for a few "
		"milliseconds to load pyheap's agent library from memory (nothing is written to the "
		"target's filesystem), and detaches. The agent takes the GIL like any Python thread, "
		"so the process's Python code is paused while it walks the heap (the final line says "
		"for how long); no Python code of the application runs meanwhile. The stream is "
		"compressed and written by pyheap, then the agent is unloaded and the process keeps "
		"running as before.\n\n"
		"Needs permission to ptrace the process: root, CAP_SYS_PTRACE, or the same user with "
		"kernel.yama.ptrace_scope=0. A process that is stopped, already traced (gdb, strace), "
		"being dumped by another pyheap, finalizing, or not CPython " PH_PY_RANGE " is "
		"refused. Ctrl-C or SIGTERM stops the dump: the process is restored and the partial "
		"file removed (exit status 130). The dump runs in a worker process that outlives this "
		"one: if pyheap dump is killed, even with SIGKILL, the worker restores the process and "
		"exits.\n\n"
		"Progress (objects and bytes) is shown on stderr when it is a terminal.",
	.opts = opts,
	.examples = "$ pyheap dump --pid 1234\n"
		    "$ pyheap dump -p 1234 -o app.pyheap --no-values\n"
		    "$ pyheap dump -p 1234 -o - | ssh host 'cat > app.pyheap'\n"
		    "$ pyheap dump --docker-container web --timeout 60",
	.run = cmd_dump,
};
