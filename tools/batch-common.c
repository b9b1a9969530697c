/* facerec-batch: file list, per-file records and their status files, the table. */
#include "batch.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static const gchar *video_exts[] = { ".mp4", ".webm", ".mkv", ".mov", ".avi", NULL };

static gboolean
is_video (const gchar * name)
{
  gchar *lower = g_ascii_strdown (name, -1);
  gboolean yes = FALSE;
  for (guint i = 0; video_exts[i]; i++)
    yes |= g_str_has_suffix (lower, video_exts[i]);
  g_free (lower);
  return yes && name[0] != '.';
}

/* g_ptr_array_sort passes pointers to the elements */
static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

GPtrArray *
batch_list_videos (const gchar * path, GError ** err)
{
  GDir *dir = g_dir_open (path, 0, err);
  const gchar *entry;
  GPtrArray *names;
  if (!dir)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((entry = g_dir_read_name (dir)))
    if (is_video (entry))
      g_ptr_array_add (names, g_strdup (entry));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  return names;
}

Job *
job_new (const gchar * indir, const gchar * outdir, const gchar * file, gboolean force)
{
  const gchar *dot = strrchr (file, '.');
  gchar *stem = g_strndup (file, dot ? (gsize) (dot - file) : strlen (file));
  gchar *ext = g_ascii_strdown (dot ? dot : "", -1);
  Job *j = g_new0 (Job, 1);
  gchar *v, *tv, *tj, *jl, *sv, *tsv, *sd, *state;
  if (g_str_equal (ext, ".avi")) {
    g_free (ext);
    ext = g_strdup (".mkv");
  }
  v = g_strdup_printf ("%s.annotated%s", stem, ext);
  tv = g_strdup_printf (".tmp-%s.annotated%s", stem, ext);
  tj = g_strdup_printf (".tmp-%s.jsonl", stem);
  jl = g_strdup_printf ("%s.jsonl", stem);
  sv = g_strdup_printf ("%s.summary.png", stem);
  tsv = g_strdup_printf (".tmp-%s.summary.png", stem);
  sd = g_strdup_printf ("%s.sightings", file);
  state = batch_state_dir (outdir);
  j->input = g_build_filename (indir, file, NULL);
  j->name = g_strdup (file);
  j->out_video = g_build_filename (outdir, v, NULL);
  j->tmp_video = g_build_filename (outdir, tv, NULL);
  j->tmp_jsonl = g_build_filename (outdir, tj, NULL);
  j->out_jsonl = g_build_filename (outdir, jl, NULL);
  j->out_summary = g_build_filename (outdir, sv, NULL);
  j->tmp_summary = g_build_filename (outdir, tsv, NULL);
  j->sightings = g_build_filename (state, sd, NULL);
  j->names = g_string_new (NULL);
  j->last_shown = -1;
  j->deadline_us = G_MAXINT64;
  if (!force && g_file_test (j->out_video, G_FILE_TEST_IS_REGULAR)
      && g_file_test (j->out_jsonl, G_FILE_TEST_IS_REGULAR))
    j->state = JOB_SKIPPED;
  g_free (stem);
  g_free (ext);
  g_free (v);
  g_free (tv);
  g_free (tj);
  g_free (jl);
  g_free (sv);
  g_free (tsv);
  g_free (sd);
  g_free (state);
  return j;
}

void
job_free (Job * j)
{
  g_free (j->input);
  g_free (j->name);
  g_free (j->out_video);
  g_free (j->out_jsonl);
  g_free (j->tmp_video);
  g_free (j->tmp_jsonl);
  g_free (j->out_summary);
  g_free (j->tmp_summary);
  g_free (j->sightings);
  g_free (j->reason);
  g_free (j->last_line);
  g_string_free (j->names, TRUE);
  g_free (j);
}

gchar *
batch_state_dir (const gchar * outdir)
{
  return g_build_filename (outdir, ".facerec-batch", NULL);
}

static gchar *
status_path (const gchar * outdir, const gchar * name)
{
  gchar *file = g_strconcat (name, ".status", NULL);
  gchar *path = g_build_filename (outdir, ".facerec-batch", file, NULL);
  g_free (file);
  return path;
}

static const gchar *state_names[] = { "waiting", "running", "ok", "skipped", "failed" };

gboolean
status_write (const gchar * outdir, const Job * j, const gchar * run, gint task, GError ** err)
{
  GKeyFile *kf = g_key_file_new ();
  gchar *path = status_path (outdir, j->name), *data, *s;
  gsize len;
  gboolean ok;

  g_key_file_set_string (kf, "result", "run", run);
  g_key_file_set_integer (kf, "result", "task", task);
  g_key_file_set_string (kf, "result", "host", g_get_host_name ());
  g_key_file_set_string (kf, "result", "state", state_names[j->state]);
  g_key_file_set_uint64 (kf, "result", "frames", j->frames);
  g_key_file_set_uint64 (kf, "result", "faces", j->faces);
  g_key_file_set_uint64 (kf, "result", "unknown", j->unknown);
  g_key_file_set_double (kf, "result", "seconds", j->seconds);
  s = g_utf8_make_valid (j->names->str, -1);
  g_key_file_set_string (kf, "result", "names", s);
  g_free (s);
  s = g_utf8_make_valid (j->reason ? j->reason : "", -1);
  g_key_file_set_string (kf, "result", "reason", s);
  g_free (s);
  data = g_key_file_to_data (kf, &len, NULL);
  /* CONSISTENT: temp file + rename, so a reader never sees half a file */
  ok = g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT,
      0644, err);
  g_free (data);
  g_free (path);
  g_key_file_free (kf);
  return ok;
}

gboolean
status_read (const gchar * outdir, Job * j, const gchar * run)
{
  GKeyFile *kf = g_key_file_new ();
  gchar *path = status_path (outdir, j->name), *r = NULL, *state = NULL, *s;
  gboolean ok = FALSE;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    goto out;
  r = g_key_file_get_string (kf, "result", "run", NULL);
  state = g_key_file_get_string (kf, "result", "state", NULL);
  if (!r || !state || g_strcmp0 (r, run) != 0)
    goto out;
  if (g_str_equal (state, "ok"))
    j->state = JOB_OK;
  else if (g_str_equal (state, "skipped"))
    j->state = JOB_SKIPPED;
  else if (g_str_equal (state, "failed"))
    j->state = JOB_FAILED;
  else
    goto out;
  j->frames = g_key_file_get_uint64 (kf, "result", "frames", NULL);
  j->faces = g_key_file_get_uint64 (kf, "result", "faces", NULL);
  j->unknown = g_key_file_get_uint64 (kf, "result", "unknown", NULL);
  j->seconds = g_key_file_get_double (kf, "result", "seconds", NULL);
  s = g_key_file_get_string (kf, "result", "names", NULL);
  g_string_assign (j->names, s ? s : "");
  g_free (s);
  s = g_key_file_get_string (kf, "result", "reason", NULL);
  g_free (j->reason);
  j->reason = s && *s ? s : NULL;
  if (!j->reason)
    g_free (s);
  ok = TRUE;
out:
  g_free (r);
  g_free (state);
  g_free (path);
  g_key_file_free (kf);
  return ok;
}

gboolean
file_list_write (const gchar * path, GPtrArray * names, GError ** err)
{
  GString *s = g_string_new (NULL);
  gboolean ok;
  for (guint i = 0; i < names->len; i++)
    g_string_append_len (s, g_ptr_array_index (names, i),
        (gssize) strlen (g_ptr_array_index (names, i)) + 1);
  ok = g_file_set_contents_full (path, s->str, (gssize) s->len,
      G_FILE_SET_CONTENTS_CONSISTENT, 0644, err);
  g_string_free (s, TRUE);
  return ok;
}

GPtrArray *
file_list_read (const gchar * path, GError ** err)
{
  gchar *data;
  gsize len, at = 0;
  GPtrArray *names;
  if (!g_file_get_contents (path, &data, &len, err))
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while (at < len) {
    gsize n = strnlen (data + at, len - at);
    if (n > 0 && !strchr (data + at, '/'))
      g_ptr_array_add (names, g_strndup (data + at, n));
    at += n + 1;
  }
  g_free (data);
  return names;
}

static guint
columns (gunichar c)
{
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

gchar *
fit_column (const gchar * s, guint width)
{
  gchar *valid = g_utf8_make_valid (s, -1);
  GArray *chars = g_array_new (FALSE, FALSE, sizeof (gunichar));
  GString *out = g_string_new (NULL);
  guint total = 0, used = 0;
  for (const gchar * p = valid; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (g_unichar_iscntrl (c))
      c = '?';                  /* a newline in a name would break the row */
    g_array_append_val (chars, c);
    total += columns (c);
  }
  if (total <= width) {
    for (guint i = 0; i < chars->len; i++)
      g_string_append_unichar (out, g_array_index (chars, gunichar, i));
    used = total;
  } else {
    /* head … tail: the start names the recording, the end often holds the
     * date or the part number */
    guint head = width / 2, tail = width - 1 - head, h = 0, t = 0, i, k;
    for (i = 0; i < chars->len && h + columns (g_array_index (chars, gunichar, i)) <= head; i++) {
      g_string_append_unichar (out, g_array_index (chars, gunichar, i));
      h += columns (g_array_index (chars, gunichar, i));
    }
    for (k = chars->len; k > i && t + columns (g_array_index (chars, gunichar, k - 1)) <= tail; k--)
      t += columns (g_array_index (chars, gunichar, k - 1));
    g_string_append (out, "\xe2\x80\xa6");      /* U+2026 … */
    for (; k < chars->len; k++)
      g_string_append_unichar (out, g_array_index (chars, gunichar, k));
    used = h + 1 + t;
  }
  for (; used < width; used++)
    g_string_append_c (out, ' ');
  g_array_free (chars, TRUE);
  g_free (valid);
  return g_string_free (out, FALSE);
}

#define NAME_COLUMNS 48

guint
print_table (GPtrArray * jobs)
{
  guint failed = 0;
  gchar *head = fit_column ("file", NAME_COLUMNS);
  printf ("\n%s %-8s %8s %8s %8s  %s\n", head, "status", "frames", "faces", "seconds",
      "names / reason");
  g_free (head);
  for (guint i = 0; i < jobs->len; i++) {
    Job *j = g_ptr_array_index (jobs, i);
    gchar *name = fit_column (j->name, NAME_COLUMNS);
    if (j->state == JOB_SKIPPED) {
      printf ("%s %-8s %8s %8s %8s  %s\n", name, "skipped", "-", "-", "-",
          "outputs exist (--force to redo)");
    } else if (j->state == JOB_OK) {
      printf ("%s %-8s %8" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT " %8.1f  %s\n", name,
          "ok", j->frames, j->faces, j->seconds,
          j->names->len ? j->names->str : "(nobody named)");
    } else {
      failed++;
      printf ("%s %-8s %8s %8s %8s  %s\n", name, "FAILED", "-", "-", "-",
          j->reason ? j->reason : "not run");
    }
    g_free (name);
  }
  printf ("%u file(s): %u failed\n", jobs->len, failed);
  return failed;
}
