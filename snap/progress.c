/* progress.c - bytes, percent, rate, ETA: one redrawn line, or JSON lines */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "progress.h"

int progress_mode_parse(const char *s, enum progress_mode *out)
{
	static const struct { const char *name; enum progress_mode mode; } modes[] = {
		{ "none", PROGRESS_NONE }, { "bar", PROGRESS_BAR }, { "json", PROGRESS_JSON },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(s, modes[i].name) == 0) {
			*out = modes[i].mode;
			return 0;
		}
	return -1;
}

void progress_start(struct progress *p, enum progress_mode mode, long long total,
                    long long already)
{
	memset(p, 0, sizeof(*p));
	if (mode == PROGRESS_AUTO)
		mode = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_NONE;
	p->mode = mode;
	p->total = total;
	p->done = p->start_done = already;
	p->start = p->last = mono_now();
}

static void draw(struct progress *p, double now, bool final)
{
	double elapsed = now - p->start;
	double rate = elapsed > 0 ? (double)(p->done - p->start_done) / elapsed : 0;
	long long eta = rate > 0 && p->total > 0 ? (long long)((double)(p->total - p->done) / rate) : -1;
	if (p->mode == PROGRESS_JSON) {
		fprintf(stderr, "{\"bytes\":%lld,\"total\":%lld,\"rate\":%.0f,\"eta\":%lld,\"done\":%s}\n",
		        p->done, p->total, rate, eta, final ? "true" : "false");
		return;
	}
	char done[32], total[32], speed[32];
	human_size(p->done, done, sizeof(done));
	human_size(p->total > 0 ? p->total : 0, total, sizeof(total));
	human_size((long long)rate, speed, sizeof(speed));
	double pct = p->total > 0 ? 100.0 * (double)p->done / (double)p->total : 0;
	fprintf(stderr, "\r\033[K%s / %s  %5.1f%%  %s/s", done, total, pct, speed);
	if (eta >= 0 && !final)
		fprintf(stderr, "  ETA %lld:%02lld", eta / 60, eta % 60);
	p->drawn = true;
}

void progress_update(struct progress *p, long long done)
{
	p->done = done;
	if (p->mode == PROGRESS_NONE)
		return;
	double now = mono_now();
	double every = p->mode == PROGRESS_JSON ? 1.0 : 0.1;
	if (now - p->last < every)
		return;
	p->last = now;
	draw(p, now, false);
}

void progress_finish(struct progress *p)
{
	if (p->mode == PROGRESS_NONE)
		return;
	draw(p, mono_now(), true);
	if (p->mode == PROGRESS_BAR && p->drawn)
		fputc('\n', stderr);
}
