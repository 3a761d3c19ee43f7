/* SPDX-License-Identifier: MIT */
/*
 * server.h - the HTTP server of `pyheap serve`: libmicrohttpd with a pool
 * of threads, one per core, answering from an api (api.h) and the
 * embedded browser app (assets.h).
 *
 * What it serves, and nothing else:
 *   /api/...                      the JSON API (docs/api.md)
 *   /assets/NAME                  the app's embedded files
 *   /, /threads, /heap, /suspects, /diff, /objects/ADDR
 *                                 the app's page (it routes in the browser)
 * Anything else is a 404, a method other than GET or HEAD a 405, each
 * with a JSON error body.
 *
 * Safety: every request's Host header must name the address the server
 * listens on (or localhost, when that is a loopback address; any address
 * or this machine's name when it listens on all of them), with its port,
 * else 403: a web page on another origin cannot reach the server through
 * DNS rebinding. Every response carries a Content-Security-Policy that
 * allows only the server's own scripts and styles (no inline script), and
 * nosniff, no-referrer and frame-deny headers.
 *
 * Ownership: the server borrows the api, which must outlive it.
 */
#ifndef PH_HTTP_SERVER_H
#define PH_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "http/api.h"

struct ph_server_opts {
	const char *bind; /* an IPv4 or IPv6 address, or "localhost" */
	uint16_t port;    /* 0: a free port, chosen by the kernel */
	unsigned threads; /* 0: one per core */
};

struct ph_server;

/*
 * Listen and serve in the background. Errors: PH_EINVAL (not an address),
 * PH_EIO (cannot listen, with the reason), PH_ENOMEM.
 */
int ph_server_start(struct ph_server **out, struct ph_api *api, const struct ph_server_opts *o);

/* The URL the server answers at: "http://127.0.0.1:5000/" (borrowed). */
const char *ph_server_url(const struct ph_server *s);

/* Whether it listens on a loopback address only. */
bool ph_server_is_local(const struct ph_server *s);

/* Stop serving (requests under way finish) and free the server. */
void ph_server_stop(struct ph_server *s);

#endif
