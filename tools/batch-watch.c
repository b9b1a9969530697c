/* facerec-batch --slurm: following a submitted job array. Slurm's view comes
 * from `scontrol show job -o ID` (one record per started task, one per range of
 * pending ones); the tasks' own view from the files they write in
 * OUT/.facerec-batch: ID.task-I.started (the marker), ID.task-I.progress and
 * NAME.status per video. */
#include "batch.h"

#include <stdio.h>
#include <string.h>

/* The value of KEY=... in one line of `scontrol show job -o` (NULL if absent). */
static gchar *
field (const gchar * line, const gchar * key)
{
  gsize kl = strlen (key);
  for (const gchar * p = line; (p = strstr (p, key)); p += kl) {
    if ((p == line || p[-1] == ' ') && p[kl] == '=') {
      const gchar *v = p + kl + 1, *e = strchr (v, ' ');
      return g_strndup (v, e ? (gsize) (e - v) : strlen (v));
    }
  }
  return NULL;
}

static gboolean
is_terminal (const gchar * state)
{
  static const gchar *running[] = { "PENDING", "RUNNING", "CONFIGURING", "COMPLETING",
    "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING",
    "STAGE_OUT", "RESV_DEL_HOLD", NULL
  };
  for (guint i = 0; running[i]; i++)
    if (g_str_equal (state, running[i]))
      return FALSE;
  return TRUE;
}

static void
set (gchar ** dst, gchar * value)
{
  g_free (*dst);
  *dst = value;
}

/* One record: a task ("3"), or pending tasks ("0-2,5", "0-7:2%4"). */
static void
update_tasks (Watch * w, const gchar * line, gboolean * seen)
{
  gchar *ids = field (line, "ArrayTaskId"), **parts;
  if (!ids)
    return;
  if (strchr (ids, '%'))
    *strchr (ids, '%') = '\0';
  parts = g_strsplit (ids, ",", -1);
  for (guint p = 0; parts[p]; p++) {
    guint a = 0, b = 0, step = 1;
    gint got = sscanf (parts[p], "%u-%u:%u", &a, &b, &step);
    if (got < 1)
      continue;
    if (got == 1)
      b = a;
    for (guint i = a; i <= b && i < w->n; i += step ? step : 1) {
      Task *t = &w->tasks[i];
      seen[i] = TRUE;
      set (&t->state, field (line, "JobState"));
      set (&t->exit_code, field (line, "ExitCode"));
      set (&t->reason, field (line, "Reason"));
      set (&t->node, field (line, "NodeList"));
      if (got == 1)             /* a pending range has no log name yet */
        set (&t->log, field (line, "StdOut"));
    }
  }
  g_strfreev (parts);
  g_free (ids);
}

typedef enum { JOB_KNOWN, JOB_GONE, JOB_UNREACHABLE } Seen;

/* Reads the job's tasks from scontrol. GONE: slurmctld no longer knows the job
 * (finished and purged after MinJobAge); UNREACHABLE: no answer (e.g. the
 * controller restarts), try again. */
static Seen
poll_scontrol (Watch * w)
{
  gchar *argv[] = { (gchar *) "scontrol", (gchar *) "show", (gchar *) "job", (gchar *) "-o",
    w->job, NULL
  };
  gchar *out = NULL, *err = NULL, **lines;
  gint status = 0;
  gboolean *seen, ran;
  Seen result = JOB_GONE;

  ran = g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
      NULL);
  if (!ran || !g_spawn_check_wait_status (status, NULL)) {
    result = ran && err && strstr (err, "Invalid job id") ? JOB_GONE : JOB_UNREACHABLE;
    g_free (out);
    g_free (err);
    return result;
  }
  seen = g_new0 (gboolean, w->n);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      update_tasks (w, lines[i], seen);
  for (guint i = 0; i < w->n; i++) {
    if (seen[i])
      result = JOB_KNOWN;
    /* a finished task whose record Slurm has purged (MinJobAge) */
    if (w->tasks[i].submitted && !seen[i] && w->tasks[i].state)
      w->tasks[i].terminal = TRUE;
  }
  g_strfreev (lines);
  g_free (out);
  g_free (err);
  g_free (seen);
  return result;
}

static gchar *
state_file (Watch * w, const gchar * what, guint task)
{
  gchar *name = g_strdup_printf ("%s.task-%u.%s", w->job, task, what);
  gchar *path = g_build_filename (w->statedir, name, NULL);
  g_free (name);
  return path;
}

static void
show_task_progress (Watch * w, GString * live)
{
  for (guint t = 0; t < w->n; t++) {
    gchar *path, *data = NULL, **lines;
    if (!w->tasks[t].submitted || w->tasks[t].terminal)
      continue;
    path = state_file (w, "progress", t);
    if (g_file_get_contents (path, &data, NULL, NULL)) {
      lines = g_strsplit (data, "\n", -1);
      for (guint l = 1; lines[0] && lines[l]; l++) {
        guint index;
        gdouble f;
        Job *j;
        if (sscanf (lines[l], "%u %lf", &index, &f) != 2 || index >= w->jobs->len)
          continue;
        j = g_ptr_array_index (w->jobs, index);
        if (w->tty) {
          gchar *name = fit_column (j->name, 24);
          g_string_append_printf (live, "  task %u: %s %3.0f%%", t, g_strchomp (name), 100 * f);
          g_free (name);
        } else if ((gint) (f * 4) > j->last_shown) {
          j->last_shown = (gint) (f * 4);
          fprintf (stderr, "[%u/%u done] task %u: %s: %3.0f%%\n", w->done, w->jobs->len, t,
              j->name, 100 * f);
        }
      }
      g_strfreev (lines);
      g_free (data);
    }
    g_free (path);
  }
}

/* Status files of this job that appeared since the last look. */
static void
collect (Watch * w)
{
  for (guint i = 0; i < w->jobs->len; i++) {
    Job *j = g_ptr_array_index (w->jobs, i);
    if (w->final[i] || !w->tasks[i % w->n].submitted || !status_read (w->o->outdir, j, w->job))
      continue;
    w->final[i] = TRUE;
    w->done++;
    if (w->tty)
      fprintf (stderr, "\r\033[K");
    fprintf (stderr, "[%u/%u done] task %u: %s: %s%s%s\n", w->done, w->jobs->len, i % w->n,
        j->name, j->state == JOB_OK ? "ok" : j->state == JOB_SKIPPED ? "skipped" : "FAILED",
        j->state == JOB_FAILED && j->reason ? ": " : "",
        j->state == JOB_FAILED && j->reason ? j->reason : "");
  }
}

static void
announce (Watch * w)
{
  for (guint t = 0; t < w->n; t++) {
    Task *k = &w->tasks[t];
    if (!k->submitted || !k->state)
      continue;
    if (!k->announced_start && g_str_equal (k->state, "RUNNING")) {
      k->announced_start = TRUE;
      if (w->tty)
        fprintf (stderr, "\r\033[K");
      fprintf (stderr, "task %u: running on %s\n", t, k->node ? k->node : "?");
    }
    if (!k->terminal && is_terminal (k->state)) {
      k->terminal = TRUE;
      if (w->tty)
        fprintf (stderr, "\r\033[K");
      fprintf (stderr, "task %u: %s (exit code %s%s%s)\n", t, k->state,
          k->exit_code ? k->exit_code : "?", k->reason && !g_str_equal (k->reason, "None")
          ? ", " : "", k->reason && !g_str_equal (k->reason, "None") ? k->reason : "");
    }
  }
}

static gboolean
all_terminal (Watch * w)
{
  for (guint t = 0; t < w->n; t++)
    if (w->tasks[t].submitted && !w->tasks[t].terminal)
      return FALSE;
  return TRUE;
}

void
watch_wait (Watch * w)
{
  guint missing = 0;
  gboolean warned = FALSE;
  for (;;) {
    Seen seen = poll_scontrol (w);
    GString *live = g_string_new (NULL);
    if (seen == JOB_UNREACHABLE && !warned) {
      fprintf (stderr, "facerec-batch: warning: scontrol does not answer; still waiting for "
          "job %s\n", w->job);
      warned = TRUE;
    }
    missing = seen == JOB_GONE ? missing + 1 : 0;
    if (missing >= 3) {
      /* gone: finished and purged from slurmctld; the files tell the rest */
      for (guint t = 0; t < w->n; t++)
        if (w->tasks[t].submitted && !w->tasks[t].terminal) {
          if (!w->tasks[t].state)
            w->tasks[t].state = g_strdup ("ENDED");
          w->tasks[t].terminal = TRUE;
        }
    }
    collect (w);
    announce (w);
    show_task_progress (w, live);
    if (w->tty && live->len)
      fprintf (stderr, "\r\033[K[%u/%u done]%.*s", w->done, w->jobs->len, 110, live->str);
    g_string_free (live, TRUE);
    if (all_terminal (w))
      break;
    g_usleep (G_USEC_PER_SEC);
  }
  collect (w);                  /* what was written just before the end */
  if (w->tty)
    fprintf (stderr, "\r\033[K");
}

/* The last "facerec-batch: " line of a task's log (NULL if none or unreadable). */
static gchar *
log_error (const gchar * log)
{
  gchar *data = NULL, *found = NULL, **lines;
  if (!log || !g_file_get_contents (log, &data, NULL, NULL))
    return NULL;
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "facerec-batch: ")) {
      g_free (found);
      found = g_strdup (lines[i] + strlen ("facerec-batch: "));
    }
  g_strfreev (lines);
  g_free (data);
  return found;
}

/* A task that ended without its marker never ran facerec-batch in OUT. */
void
watch_report (Watch * w)
{
  gchar **why = g_new0 (gchar *, w->n);
  for (guint t = 0; t < w->n; t++) {
    Task *k = &w->tasks[t];
    gchar *marker;
    if (!k->submitted)
      continue;
    marker = state_file (w, "started", t);
    k->marker = g_file_test (marker, G_FILE_TEST_EXISTS);
    if (!k->marker) {
      if (!k->log) {
        gchar *name = g_strdup_printf ("%s_%u.log", w->job, t);
        k->log = g_build_filename (w->statedir, "logs", name, NULL);
        g_free (name);
      }
      why[t] = log_error (k->log);
      fprintf (stderr, "facerec-batch: task %u (%s%s%s) never wrote to %s: the output folder must "
          "be on a filesystem every node sees and writable by the job's user (its log: %s%s%s; "
          "if Slurm could not write that either, see `scontrol show job %s`)\n", t,
          k->state ? k->state : "?", k->reason ? ", " : "", k->reason ? k->reason : "",
          w->o->outdir, k->log, why[t] ? ": " : "", why[t] ? why[t] : "", w->job);
    }
    g_free (marker);
  }
  for (guint i = 0; i < w->jobs->len; i++) {
    Job *j = g_ptr_array_index (w->jobs, i);
    Task *k = &w->tasks[i % w->n];
    if (w->final[i] || !k->submitted)
      continue;
    j->state = JOB_FAILED;
    g_free (j->reason);
    if (!k->marker && why[i % w->n])
      j->reason = g_strdup (why[i % w->n]);   /* "task I on HOST cannot write to ..." */
    else if (!k->marker)
      j->reason = g_strdup_printf ("task %u could not write to the output folder (%s)",
          i % w->n, k->state ? k->state : "?");
    else if (k->exit_code)
      j->reason = g_strdup_printf ("not finished: task %u ended %s (exit code %s); rerun "
          "to resume", i % w->n, k->state, k->exit_code);
    else                        /* its record was purged before we saw it end */
      j->reason = g_strdup_printf ("not finished: task %u has ended; rerun to resume", i % w->n);
  }
  for (guint t = 0; t < w->n; t++)
    g_free (why[t]);
  g_free (why);
}
