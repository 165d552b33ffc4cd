/* hashpipe.c - a single-producer, single-consumer ring under one mutex */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "hashpipe.h"

struct slot {
	char *data;
	size_t len;
};

struct hashpipe {
	struct hashes *h;
	struct slot slots[HASHPIPE_SLOTS];
	size_t head, tail;     /* produce at head, consume at tail; count = head - tail */
	bool busy;             /* the consumer is hashing a slot it took */
	bool closing;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t thread;
};

static void *consume(void *arg)
{
	struct hashpipe *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == p->tail && !p->closing)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->head == p->tail)
			break;
		struct slot *s = &p->slots[p->tail % HASHPIPE_SLOTS];
		p->busy = true;
		pthread_mutex_unlock(&p->lock);
		hashes_update(p->h, s->data, s->len);
		pthread_mutex_lock(&p->lock);
		p->busy = false;
		p->tail++;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct hashpipe *hashpipe_start(struct hashes *h)
{
	struct hashpipe *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->h = h;
	for (size_t i = 0; i < HASHPIPE_SLOTS; i++) {
		p->slots[i].data = malloc(HASHPIPE_SLOT_SIZE);
		if (!p->slots[i].data)
			goto fail;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	if (pthread_create(&p->thread, NULL, consume, p) != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->changed);
		goto fail;
	}
	return p;
fail:
	for (size_t i = 0; i < HASHPIPE_SLOTS; i++)
		free(p->slots[i].data);
	free(p);
	return NULL;
}

void hashpipe_feed(struct hashpipe *p, const void *data, size_t len)
{
	const char *d = data;
	while (len > 0) {
		size_t n = len < HASHPIPE_SLOT_SIZE ? len : HASHPIPE_SLOT_SIZE;
		pthread_mutex_lock(&p->lock);
		while (p->head - p->tail == HASHPIPE_SLOTS)
			pthread_cond_wait(&p->changed, &p->lock);
		struct slot *s = &p->slots[p->head % HASHPIPE_SLOTS];
		pthread_mutex_unlock(&p->lock);
		/* The consumer never touches a slot between tail and head. */
		memcpy(s->data, d, n);
		s->len = n;
		pthread_mutex_lock(&p->lock);
		p->head++;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		d += n;
		len -= n;
	}
}

void hashpipe_drain(struct hashpipe *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->head != p->tail || p->busy)
		pthread_cond_wait(&p->changed, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void hashpipe_stop(struct hashpipe *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->closing = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	for (size_t i = 0; i < HASHPIPE_SLOTS; i++)
		free(p->slots[i].data);
	free(p);
}
