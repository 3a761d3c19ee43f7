/* SPDX-License-Identifier: MIT */
/*
 * cmd_serve.c - `pyheap serve FILE` and `pyheap serve OLD NEW`: the browser
 * UI. Loads the dump(s) once, then serves the JSON API and the embedded app
 * (src/http/) until Ctrl-C or SIGTERM.
 */
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/analyze_cmd.h"
#include "common/error.h"
#include "http/api.h"
#include "http/server.h"

extern char **environ;

enum { OPT_BIND = 'b', OPT_PORT = 'p', OPT_OPEN = 257, OPT_THREADS };

static const struct ph_opt opts[] = {
	{"port", OPT_PORT, "PORT", "Listen on this TCP port (default 5000; 0 picks a free one)."},
	{"bind", OPT_BIND, "ADDR",
	 "Listen on this IP address (default 127.0.0.1: this machine only). Any other address lets "
	 "whoever reaches it read the dump, values included; pyheap warns."},
	{"open", OPT_OPEN, NULL, "Open the UI in the desktop's browser (xdg-open) once it is ready."},
	{"threads", OPT_THREADS, "N", "Answer requests with N threads (default: one per core)."},
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const struct ph_cmd *cmd, const char *path, struct ph_analysis **a)
{
	int status;

	fprintf(stderr, "pyheap serve: loading %s\n", path);
	status = ph_cli_analyze(cmd, path, a);
	if (!status)
		fprintf(stderr,
			"pyheap serve: %u objects analyzed in %.2f s (load %.2f, roots %.2f, "
			"dominators %.2f, retained sizes %.2f)\n",
			(*a)->h->n_objects, (*a)->t_load + (*a)->t_graph + (*a)->t_dominators + (*a)->t_retained,
			(*a)->t_load, (*a)->t_graph, (*a)->t_dominators, (*a)->t_retained);
	return status;
}

/*
 * Start xdg-open on url when there is one (say so when not); its pid, or 0.
 * Not waited for here: a browser started in the foreground must not keep
 * Ctrl-C from stopping the server. Reaped when the server stops.
 */
static pid_t open_browser(const char *url)
{
	char *argv[] = {(char *)"xdg-open", (char *)url, NULL};
	pid_t pid;

	if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "pyheap serve: no xdg-open here: open %s in a browser\n", url);
		return 0;
	}
	return pid;
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	struct ph_server_opts so = {"127.0.0.1", 5000, 0};
	struct ph_analysis *a = NULL, *old = NULL;
	struct ph_server *server = NULL;
	struct ph_api *api = NULL;
	bool open = false;
	pid_t opener = 0;
	uint64_t u;
	const char *arg;
	double t0 = now();
	sigset_t stop;
	int c, sig, err, status;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_PORT:
			if (ph_parse_u64(cmd, "--port", arg, &u))
				return 2;
			if (u > 65535)
				return ph_usage_error(cmd, "--port takes 0 to 65535, not %" PRIu64, u);
			so.port = (uint16_t)u;
			break;
		case OPT_BIND:
			so.bind = arg;
			break;
		case OPT_OPEN:
			open = true;
			break;
		case OPT_THREADS:
			if (ph_parse_u64(cmd, "--threads", arg, &u))
				return 2;
			if (u < 1 || u > 64)
				return ph_usage_error(cmd, "--threads takes 1 to 64, not %" PRIu64, u);
			so.threads = (unsigned)u;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 1 && argc - optind != 2)
		return ph_usage_error(cmd, "expected FILE, or OLD and NEW");
	if (argc - optind == 2 && (status = load(cmd, argv[optind], &old)))
		return status;
	if ((status = load(cmd, argv[argc - 1], &a))) {
		ph_analysis_free(old);
		return status;
	}
	/* Ctrl-C and SIGTERM are waited for below: blocked in every thread started from here */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	err = ph_api_new(&api, a, old); /* takes a and old */
	if (!err)
		err = ph_server_start(&server, api, &so);
	if (!err)
		err = ph_api_warm(api);
	if (err) {
		ph_server_stop(server);
		ph_api_free(api);
		return ph_fail(cmd, err);
	}
	if (!ph_server_is_local(server))
		fprintf(stderr,
			"pyheap serve: warning: listening on %s, not on this machine's loopback address: "
			"whoever can reach it can read the dump, values included\n",
			so.bind);
	printf("pyheap serve: %s%s%s ready in %.2f s at %s\n(Ctrl-C stops it)\n",
	       old ? argv[optind] : "", old ? " -> " : "", argv[argc - 1], now() - t0,
	       ph_server_url(server));
	fflush(stdout);
	if (open)
		opener = open_browser(ph_server_url(server));
	while (sigwait(&stop, &sig) != 0)
		;
	if (opener)
		waitpid(opener, NULL, WNOHANG);
	fprintf(stderr, "pyheap serve: stopping (%s)\n", sig == SIGINT ? "Ctrl-C" : "SIGTERM");
	ph_server_stop(server);
	ph_api_free(api);
	return 0;
}

const struct ph_cmd ph_cmd_serve = {
	.name = "serve",
	.summary = "Explore a dump in the browser: overview, threads, objects, paths, suspects, diff",
	.synopsis = "[--port PORT] [--bind ADDR] [--open] [--threads N] FILE | OLD NEW",
	.description =
		"Loads the dump once, prints the URL when it is ready, and serves a browser UI and a "
		"JSON API until Ctrl-C: an overview (process, totals, histograms by type, owner and "
		"module, and a map of the dominator tree to click through), threads with their frames "
		"and locals, the objects sorted by retained or shallow size with filters by kind and "
		"value, one object with its referents, referrers, paths from the roots and what it "
		"retains, and the leak suspects. Given two dumps of one process, OLD and NEW, it also "
		"shows what grew (the other views show NEW).\n\n"
		"Every API document under /api/ is the one the command line prints with --json "
		"(/api/summary is `pyheap summary --json`); docs/api.md lists them. The server "
		"listens on 127.0.0.1 unless told otherwise, and answers only requests whose Host "
		"header names it. It exits with status 0 when Ctrl-C or SIGTERM stops it.",
	.opts = opts,
	.examples = "$ pyheap serve app.pyheap\n$ pyheap serve --port 8080 --open before.pyheap "
		    "after.pyheap\n$ curl -s 'localhost:5000/api/objects?kind=dict' | jq .total",
	.run = run,
};
