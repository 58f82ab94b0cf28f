/* The vif locks' nftables writer thread (see dp_lock_nft.h). */
#include "dp_lock_nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"

struct dp_nft {
	struct loop *loop;
	dp_nft_done *done;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, stop;
	bool busy;             /* handed over, done() not called yet */
	char *job;             /* waiting for the thread */
	bool finished;         /* the thread wrote it: rc, err */
	int rc;
	char err[256];
	int efd;
};

static void *writer(void *arg)
{
	struct dp_nft *w = arg;
	struct nft_ctx *nft = NULL;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		if (!w->job) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		char *text = w->job, err[sizeof(w->err)] = "";
		int rc = -1;
		uint64_t one = 1;

		w->job = NULL;
		pthread_mutex_unlock(&w->mu);
		if (!nft && (nft = nft_ctx_new(NFT_CTX_DEFAULT))) {
			nft_ctx_buffer_output(nft);
			nft_ctx_buffer_error(nft);
		}
		if (!nft) {
			snprintf(err, sizeof(err), "no nftables context");
		} else if ((rc = nft_run_cmd_from_buffer(nft, text)) != 0) {
			const char *e = nft_ctx_get_error_buffer(nft);
			snprintf(err, sizeof(err), "%s", e ? e : "");
		}
		if (nft)
			nft_ctx_get_output_buffer(nft); /* drop what it printed */
		free(text);
		pthread_mutex_lock(&w->mu);
		w->rc = rc;
		memcpy(w->err, err, sizeof(err));
		w->finished = true;
		if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("vif locks: eventfd: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->mu);
	if (nft)
		nft_ctx_free(nft);
	return NULL;
}

/* On the loop: the write is done. */
static void on_done(void *arg, uint32_t events)
{
	struct dp_nft *w = arg;
	char err[sizeof(w->err)];
	uint64_t n;
	int rc;

	(void)events;
	if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->mu);
	bool finished = w->finished;
	w->finished = false;
	rc = w->rc;
	memcpy(err, w->err, sizeof(err));
	pthread_mutex_unlock(&w->mu);
	if (!finished)
		return;
	w->busy = false;
	w->done(w->arg, rc, err);
}

struct dp_nft *dp_nft_new(struct loop *l, dp_nft_done *done, void *arg)
{
	struct dp_nft *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->loop = l;
	w->done = done;
	w->arg = arg;
	w->efd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

/* The eventfd and the thread, with every signal blocked in it (the
 * loop's signalfd must get them). */
static int start(struct dp_nft *w, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0 || loop_add_fd(w->loop, w->efd, on_done, w) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, writer, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "thread: %s", strerror(rc));
		loop_del_fd(w->loop, w->efd);
		goto fail;
	}
	w->started = true;
	return 0;
fail:
	if (w->efd >= 0)
		close(w->efd);
	w->efd = -1;
	return -1;
}

int dp_nft_write(struct dp_nft *w, char *text, char *err, size_t errlen)
{
	if (!w->started && start(w, err, errlen) < 0) {
		free(text);
		return -1;
	}
	pthread_mutex_lock(&w->mu);
	free(w->job);
	w->job = text;
	w->busy = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

bool dp_nft_busy(const struct dp_nft *w)
{
	return w->busy;
}

void dp_nft_free(struct dp_nft *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		loop_del_fd(w->loop, w->efd);
		close(w->efd);
	}
	free(w->job);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
