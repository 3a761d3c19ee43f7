/* SPDX-License-Identifier: MIT */
/*
 * agent.c - entry points of the agent library loaded into the target, and
 * the agent thread's life cycle (see agent.h for the sequence): output
 * set-up (the pipe handed to the dumper), the dump itself (walk.c), and the
 * final state. Only pyheap_agent_start and pyheap_agent_finish are visible.
 *
 * This code runs inside someone else's process: it never aborts or exits,
 * blocks every signal on its thread, bounds every wait, and reports failure
 * through state.error and state.message.
 */
#include "agent/agent.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/walk.h"
#include "common/error.h"

#define EXPORT __attribute__((visibility("default")))

/* A write that makes no progress for this long fails (the dumper is gone or stuck). */
#define STALL_MS 30000

/* The agent thread's stack: our own mapping, so that glibc does not keep it in its stack cache. */
#define STACK_SIZE ((size_t)8 << 20)
#define GUARD_SIZE ((size_t)64 << 10)

struct agent {
	struct ph_agent_state state; /* first: its address is the agent's handle */
	struct ph_agent_args args;
	int fd;
	void *stack; /* STACK_SIZE + GUARD_SIZE bytes, unmapped by finish() */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool cancelled(const struct agent *a)
{
	return __atomic_load_n(&a->state.cancel, __ATOMIC_ACQUIRE) != 0;
}

/*
 * The sink the walk writes through: non-blocking writes with poll(), so that
 * a cancel request or a dumper that stopped reading ends the dump instead of
 * leaving the target paused forever.
 */
static int sink_write(void *ctx, const void *p, size_t n)
{
	struct agent *a = ctx;
	const uint8_t *q = p;
	uint64_t last = now_ms();

	while (n) {
		ssize_t k = write(a->fd, q, n);

		if (k > 0) {
			q += k;
			n -= (size_t)k;
			__atomic_add_fetch(&a->state.bytes, (uint64_t)k, __ATOMIC_RELAXED);
			last = now_ms();
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return ph_error_errno(PH_EIO, errno, "agent: cannot write the dump stream");
		if (cancelled(a))
			return ph_error(PH_EINTR, "agent: cancelled by the dumper");
		if (now_ms() - last > STALL_MS)
			return ph_error(PH_ETIMEOUT, "agent: the dumper stopped reading for %d s",
					STALL_MS / 1000);
		if (k < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = a->fd, .events = POLLOUT};

			poll(&pfd, 1, 100);
		}
	}
	return 0;
}

/*
 * The fork guard (walk.h). A child forked while the agent is loaded gets a
 * copy of the agent's pipe: it must not keep the write end open (the dumper
 * would wait for the end of the stream as long as the child lives) nor the
 * read end. The pipe's ends are recorded here under the guard, and a child
 * closes them first thing. dlclose() of the agent unregisters the handlers.
 */
static pthread_mutex_t fork_mu = PTHREAD_MUTEX_INITIALIZER;
static int fork_fds[2] = {-1, -1};
static bool fork_registered;

/* This library's handle for __cxa_finalize (crtbeginS.o defines it). */
extern void *__dso_handle __attribute__((visibility("hidden")));
void __cxa_finalize(void *d);

void ph_fork_guard_lock(void)
{
	pthread_mutex_lock(&fork_mu);
}

void ph_fork_guard_unlock(void)
{
	pthread_mutex_unlock(&fork_mu);
}

static void fork_child(void)
{
	for (int i = 0; i < 2; i++)
		if (fork_fds[i] >= 0)
			close(fork_fds[i]);
	fork_fds[0] = fork_fds[1] = -1;
	pthread_mutex_unlock(&fork_mu);
}

static int fork_guard_register(void)
{
	if (!fork_registered) {
		if (pthread_atfork(ph_fork_guard_lock, ph_fork_guard_unlock, fork_child) != 0)
			return ph_error(PH_ENOMEM, "agent: cannot register a fork handler");
		fork_registered = true;
	}
	return 0;
}

/*
 * Drop the fork handlers once the agent thread is done with forks: an agent
 * whose dumper died is never unloaded by it, and must then leave nothing
 * that runs. __cxa_finalize(our handle) unregisters the atfork handlers of
 * this library (glibc has no public pthread_atfork removal); it waits for a
 * fork in progress. dlclose does the same later, harmlessly.
 */
static void fork_guard_unregister(void)
{
	if (fork_registered) {
		__cxa_finalize(__dso_handle);
		fork_registered = false;
	}
}

/* Close fd (one of the pipe's ends) and forget it for forks. */
static void close_pipe_end(int fd)
{
	ph_fork_guard_lock();
	for (int i = 0; i < 2; i++)
		if (fork_fds[i] == fd)
			fork_fds[i] = -1;
	close(fd);
	ph_fork_guard_unlock();
}

/* Make the pipe, publish its read end and wait for the dumper to take it. */
static int open_pipe(struct agent *a)
{
	uint64_t deadline;
	int fds[2];

	ph_fork_guard_lock();
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ph_fork_guard_unlock();
		return ph_error_errno(PH_EIO, errno, "agent: cannot create a pipe");
	}
	fork_fds[0] = fds[0];
	fork_fds[1] = fds[1];
	ph_fork_guard_unlock();
	fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; fine if refused */
	__atomic_store_n(&a->state.pipe_fd, fds[0], __ATOMIC_RELEASE);
	__atomic_store_n(&a->state.phase, PH_AGENT_WAIT_READER, __ATOMIC_RELEASE);
	deadline = now_ms() + (a->args.attach_timeout_ms ? a->args.attach_timeout_ms : 10000);
	{
		uint32_t beat = __atomic_load_n(&a->state.beat, __ATOMIC_ACQUIRE);
		uint64_t beat_at = now_ms();

		while (!__atomic_load_n(&a->state.reader_attached, __ATOMIC_ACQUIRE)) {
			struct timespec ts = {0, 1000000};
			uint32_t b = __atomic_load_n(&a->state.beat, __ATOMIC_ACQUIRE);
			uint64_t now = now_ms();
			bool gone = now - beat_at > PH_AGENT_BEAT_MS;

			if (b != beat) {
				beat = b;
				beat_at = now;
				gone = false;
			}
			if (cancelled(a) || now > deadline || gone) {
				close_pipe_end(fds[0]);
				close_pipe_end(fds[1]);
				if (cancelled(a))
					return ph_error(PH_EINTR, "agent: cancelled by the dumper");
				return ph_error(PH_ETIMEOUT, gone ? "agent: the dumper is gone"
								  : "agent: the dumper did not take the pipe");
			}
			nanosleep(&ts, NULL);
		}
	}
	close_pipe_end(fds[0]); /* the dumper has its own copy: EPIPE if it goes away */
	a->fd = fds[1];
	return 0;
}

static void *agent_main(void *p)
{
	struct agent *a = p;
	struct ph_sink sink = {sink_write, a};
	bool own = false;
	int err;

	/* first: the dumper must know this thread, to never unload the agent under it */
	__atomic_store_n(&a->state.tid, (int32_t)syscall(SYS_gettid), __ATOMIC_RELEASE);

	err = fork_guard_register();
	if (err) {
		/* reported below */
	} else if (a->args.out_fd >= 0) {
		a->fd = a->args.out_fd;
	} else {
		err = open_pipe(a);
		own = !err;
	}
	if (!err) {
		int fl = fcntl(a->fd, F_GETFL);

		if (fl >= 0 && !(fl & O_NONBLOCK) && own)
			fcntl(a->fd, F_SETFL, fl | O_NONBLOCK);
		err = ph_agent_dump(&a->args, &a->state, &sink);
	}
	if (own)
		close_pipe_end(a->fd);
	fork_guard_unregister();
	if (err) {
		snprintf(a->state.message, sizeof(a->state.message), "%s",
			 *ph_error_detail() ? ph_error_detail() : ph_strerror(err));
		a->state.error = err;
		__atomic_store_n(&a->state.phase, PH_AGENT_FAILED, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&a->state.phase, PH_AGENT_DONE, __ATOMIC_RELEASE);
	}
	return NULL;
}

EXPORT struct ph_agent_state *pyheap_agent_start(struct ph_agent_args *args);
EXPORT void pyheap_agent_finish(struct ph_agent_state *state, int32_t *result);

/* The agent started last and not finished yet: how a later dump finds one left behind. */
EXPORT struct ph_agent_state *pyheap_agent_current;

struct ph_agent_state *pyheap_agent_start(struct ph_agent_args *args)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	struct agent *a;
	int err;

	if (!args || args->magic != PH_AGENT_MAGIC || args->abi != PH_AGENT_ABI ||
	    args->size != sizeof(*args))
		return NULL;
	args->out_state = 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->args = *args;
	a->fd = -1;
	a->state.magic = PH_AGENT_MAGIC;
	a->state.abi = PH_AGENT_ABI;
	a->state.phase = PH_AGENT_STARTING;
	a->state.pipe_fd = -1;
	/*
	 * A stack of our own: a stack glibc allocates stays in its cache (a
	 * mapping left in the target) after the thread is joined.
	 */
	a->stack = mmap(NULL, STACK_SIZE + GUARD_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (a->stack == MAP_FAILED) {
		free(a);
		return NULL;
	}
	mprotect(a->stack, GUARD_SIZE, PROT_NONE);
	if (pthread_attr_init(&attr) != 0) {
		munmap(a->stack, STACK_SIZE + GUARD_SIZE);
		free(a);
		return NULL;
	}
	pthread_attr_setstack(&attr, (char *)a->stack + GUARD_SIZE, STACK_SIZE);
	/* the thread inherits this mask: process signals keep going to the application */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&th, &attr, agent_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		munmap(a->stack, STACK_SIZE + GUARD_SIZE);
		free(a);
		return NULL;
	}
	a->state.thread = (uint64_t)th;
	__atomic_store_n(&pyheap_agent_current, &a->state, __ATOMIC_RELEASE);
	args->out_state = (uint64_t)(uintptr_t)&a->state;
	return &a->state;
}

void pyheap_agent_finish(struct ph_agent_state *state, int32_t *result)
{
	struct agent *a = (struct agent *)state;

	if (!a || a->state.magic != PH_AGENT_MAGIC) {
		*result = PH_EINVAL;
		return;
	}
	if (pthread_equal(pthread_self(), (pthread_t)a->state.thread)) {
		*result = PH_EBUSY; /* on the agent thread itself: joining and unmapping would crash */
		return;
	}
	pthread_join((pthread_t)a->state.thread, NULL);
	munmap(a->stack, STACK_SIZE + GUARD_SIZE); /* glibc does not touch a user stack after join */
	a->state.magic = 0;
	if (__atomic_load_n(&pyheap_agent_current, __ATOMIC_ACQUIRE) == state)
		__atomic_store_n(&pyheap_agent_current, NULL, __ATOMIC_RELEASE);
	free(a);
	*result = 0;
}
