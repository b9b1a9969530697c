/* facerec-annotate: running the pipeline to the end. Temporary output names
 * renamed on success, SIGINT/SIGTERM turned into EOS (a second one aborts), the
 * machine-readable --progress lines for facerec-batch and a human progress
 * line on a terminal. */
#include "annotate.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- output files ---- */

void
out_file_init (OutFile * f, const gchar * final, gboolean direct)
{
  GStatBuf st;
  f->final = g_strdup (final);
  /* an existing device or FIFO is written as it is: renaming over it would
   * replace the node with a regular file */
  if (direct || (g_stat (final, &st) == 0 && !S_ISREG (st.st_mode))) {
    f->tmp = g_strdup (final);
  } else {
    gchar *dir = g_path_get_dirname (final), *base = g_path_get_basename (final);
    gchar *name = g_strconcat (".tmp-", base, NULL);
    f->tmp = g_build_filename (dir, name, NULL);
    g_free (dir);
    g_free (base);
    g_free (name);
  }
}

gboolean
out_file_commit (OutFile * f)
{
  if (!f->final || g_str_equal (f->tmp, f->final))
    return TRUE;
  if (g_rename (f->tmp, f->final) != 0) {
    g_printerr ("facerec-annotate: cannot rename %s to %s: %s\n", f->tmp, f->final,
        g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

void
out_file_discard (OutFile * f)
{
  if (f->final && !g_str_equal (f->tmp, f->final))
    g_unlink (f->tmp);
}

void
out_file_clear (OutFile * f)
{
  g_free (f->final);
  g_free (f->tmp);
  f->final = f->tmp = NULL;
}

/* ---- signals ---- */

static volatile sig_atomic_t got_signal;        /* the first SIGINT/SIGTERM, 0: none */
static OutFile *volatile abort_files;   /* read by the handler */
static volatile guint abort_n;

static void
on_signal (int sig)
{
  static const char msg[] = "\nfacerec-annotate: aborted by a second signal; the output "
      "was not written\n";
  ssize_t r;
  if (!got_signal) {
    got_signal = sig;
    return;
  }
  /* async-signal-safe only: unlink, write, _exit */
  for (guint i = 0; i < abort_n; i++)
    if (abort_files[i].final && strcmp (abort_files[i].tmp, abort_files[i].final) != 0)
      unlink (abort_files[i].tmp);
  r = write (STDERR_FILENO, msg, sizeof msg - 1);
  (void) r;
  _exit (128 + sig);
}

void
annotate_install_signals (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

void
annotate_abort_removes (OutFile * files, guint n)
{
  abort_n = 0;                  /* the handler never sees a half-set pair */
  abort_files = files;
  abort_n = n;
}

/* ---- progress ---- */

/* The human line is redrawn this often; the machine lines come once a second
 * (facerec-batch's format, unchanged). */
#define HUMAN_PERIOD_US (G_USEC_PER_SEC / 2)
#define MACHINE_PERIOD_US G_USEC_PER_SEC
/* The bus is polled this often, so that a signal is acted on quickly. */
#define POLL_PERIOD (100 * GST_MSECOND)

static gint64 playing_since_us, machine_last_us, human_last_us;
/* where the stream was when PLAYING began: prerolling has analysed a few frames
 * already, which would inflate the rates */
static guint64 frames_at_start;
static GstClockTime position_at_start;
static gboolean human_drawn;

void
annotate_query_length (App * app, GstElement * src)
{
  gint64 len = -1;
  if (!gst_element_query_duration (app->pipeline, GST_FORMAT_TIME, &len) || len <= 0)
    if (!gst_element_query_duration (src, GST_FORMAT_TIME, &len))
      len = -1;
  if (GST_CLOCK_TIME_IS_VALID (app->limit) && (len <= 0 || (GstClockTime) len > app->limit))
    len = (gint64) app->limit;
  app->total = len > 0 ? (GstClockTime) len : 0;
  if (app->machine_progress)
    g_printerr ("length %.3f\n", (gdouble) app->total / GST_SECOND);
}

static void
format_clock (gchar * buf, gsize size, gdouble s)
{
  guint t = (guint) (s + 0.5);
  if (t >= 3600)
    g_snprintf (buf, size, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
  else
    g_snprintf (buf, size, "%u:%02u", t / 60, t % 60);
}

static void
print_progress (App * app)
{
  GstClockTime pos = __atomic_load_n (&app->position, __ATOMIC_RELAXED);
  gint64 now = g_get_monotonic_time ();
  gdouble elapsed = (now - playing_since_us) / 1e6;

  if (!playing_since_us || !GST_CLOCK_TIME_IS_VALID (pos))
    return;
  if (app->machine_progress && app->total > 0
      && now - machine_last_us >= MACHINE_PERIOD_US) {
    gdouble f = (gdouble) pos / (gdouble) app->total;
    machine_last_us = now;
    g_printerr ("progress %.3f\n", CLAMP (f, 0.0, 0.999));
  }
  if (app->human_progress && now - human_last_us >= HUMAN_PERIOD_US && elapsed > 0) {
    guint64 frames = __atomic_load_n (&app->frames, __ATOMIC_RELAXED);
    gdouble done_s = (gdouble) pos / GST_SECOND;
    gdouble since_start_s = (gdouble) (pos - MIN (pos, position_at_start)) / GST_SECOND;
    gdouble fps = (frames - MIN (frames, frames_at_start)) / elapsed;
    GString *line = g_string_new ("\rfacerec-annotate: ");
    human_last_us = now;
    if (app->total > 0) {
      gdouble total_s = (gdouble) app->total / GST_SECOND;
      gdouble f = CLAMP (done_s / total_s, 0.0, 1.0);
      gchar eta[32] = "--:--";
      /* the rest at the pace so far (stream seconds per wall second) */
      if (since_start_s > 0)
        format_clock (eta, sizeof eta, (total_s - MIN (done_s, total_s)) * elapsed / since_start_s);
      g_string_append_printf (line, "%3.0f%%  %.1f of %.1f s, %.1f fps, ETA %s", 100.0 * f,
          MIN (done_s, total_s), total_s, fps, eta);
    } else {
      g_string_append_printf (line, "%.1f s, %.1f fps (length unknown)", done_s, fps);
    }
    g_string_append (line, "\033[K");
    fputs (line->str, stderr);
    fflush (stderr);
    human_drawn = TRUE;
    g_string_free (line, TRUE);
  }
}

void
annotate_progress_done (App * app)
{
  (void) app;
  if (human_drawn) {
    fputs ("\r\033[K", stderr);
    fflush (stderr);
    human_drawn = FALSE;
  }
}

static void
print_error (App * app, GstMessage * msg)
{
  GError *err = NULL;
  gchar *dbg = NULL;
  annotate_progress_done (app);
  gst_message_parse_error (msg, &err, &dbg);
  if (msg->src == GST_OBJECT (app->pipeline))   /* ours (see on_no_more_pads) */
    g_printerr ("facerec-annotate: %s: %s\n", app->input, err->message);
  else
    g_printerr ("facerec-annotate: %s: error from %s: %s\n", app->input,
        GST_OBJECT_NAME (msg->src), err->message);
  if (dbg)
    g_printerr ("  (%s)\n", dbg);
  g_clear_error (&err);
  g_free (dbg);
}

gboolean
annotate_wait (App * app, GstMessageType type, GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (app->pipeline);
  gboolean ok = FALSE;
  gint64 deadline = GST_CLOCK_TIME_IS_VALID (timeout) ?
      g_get_monotonic_time () + (gint64) (timeout / GST_USECOND) : G_MAXINT64;

  if (type == GST_MESSAGE_EOS && !playing_since_us) {
    playing_since_us = g_get_monotonic_time ();
    frames_at_start = __atomic_load_n (&app->frames, __ATOMIC_RELAXED);
    position_at_start = __atomic_load_n (&app->position, __ATOMIC_RELAXED);
    if (!GST_CLOCK_TIME_IS_VALID (position_at_start))
      position_at_start = 0;
  }
  for (;;) {
    GstMessage *msg;
    if (got_signal && type != GST_MESSAGE_EOS) {
      /* before the first frame there is nothing worth finishing */
      g_printerr ("facerec-annotate: %s: interrupted (%s) before processing started; "
          "nothing written\n", app->input, got_signal == SIGINT ? "SIGINT" : "SIGTERM");
      app->interrupted = got_signal;
      break;
    }
    if (got_signal && !app->interrupted) {
      app->interrupted = got_signal;
      annotate_progress_done (app);
      g_printerr ("facerec-annotate: interrupted (%s): finishing %s with the frames so far "
          "(again to abort)\n", got_signal == SIGINT ? "SIGINT" : "SIGTERM", app->output);
      gst_element_send_event (app->pipeline, gst_event_new_eos ());
    }
    if (g_get_monotonic_time () >= deadline) {
      g_printerr ("facerec-annotate: %s: nothing decoded within %.0f s: is it a playable "
          "video or image?\n", app->input, (gdouble) timeout / GST_SECOND);
      break;
    }
    msg = gst_bus_timed_pop_filtered (bus, POLL_PERIOD,
        type | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (!msg) {
      print_progress (app);
      continue;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      print_error (app, msg);
      gst_message_unref (msg);
      break;
    }
    ok = TRUE;                  /* the awaited type, or EOS */
    gst_message_unref (msg);
    break;
  }
  annotate_progress_done (app);
  gst_object_unref (bus);
  return ok;
}
