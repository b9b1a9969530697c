/* facerec-annotate: write an annotated copy of a video (or image) and its JSON Lines.
 *
 *   facerec-annotate INPUT -o OUTPUT [-m MODEL] [--jsonl FILE] [--duration SEC]
 *                    [--summary-image FILE.png] [--detector FILE] [--embedder FILE]
 *                    [-q] [--progress]
 *
 * Runs  decode ! videoconvert ! facedetect-dnn ! queue ! facerecognize ! faceexport
 * ! facerec-overlay ! videoconvert ! encode ! mux
 * (no conversion between the detector and the overlay: in GStreamer 1.22 a
 * converting videoconvert drops the ROI params that carry the names)  and prints a summary of who was seen, read back from the buffers'
 * metadata through the public API in <gst/facerec/facemeta.h>.
 *
 * The output format follows OUTPUT's extension: .mp4 (H.264), .mov (H.264),
 * .mkv (H.264), .webm (VP8), .avi (H.264), .png or .jpg (first frame only, for
 * still images). Audio is kept: each audio stream of the input is re-encoded
 * (AAC for .mp4/.mov/.mkv, Opus or Vorbis for .webm, MP3 for .avi) into the
 * output; an image output or a missing encoder drops it (with a warning).
 * --duration cuts every stream at the same time.
 *
 * Every output is written under a temporary name (.tmp-NAME in the same folder)
 * and renamed when the run ends well. SIGINT/SIGTERM send EOS (like
 * gst-launch-1.0 -e): the output is finished with the frames so far, renamed,
 * and the exit status is 128 + the signal; a second signal aborts and removes
 * the temporary files. On a terminal a progress line (percent, fps, ETA) is
 * redrawn on stderr.
 *
 * --summary-image writes a contact sheet of who was seen (annotate-summary.cpp).
 *
 * --progress prints machine-readable lines on stderr (for facerec-batch):
 *   length SEC               once started: the seconds to process (0: unknown)
 *   progress 0.42            about once a second, then "progress 1.000"
 *   stats FRAMES FRAMES_WITH_FACES FACES UNKNOWN    at the end, then
 *   name COUNT LABEL         one per person seen
 */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "annotate.h"
#include "facemeta.h"

typedef struct {
  App *app;
  guint64 frames_with_faces;
  guint64 faces;
  guint64 unknown;
  GHashTable *names;            /* name -> GUINT_TO_POINTER(count) */
} Stats;

/* Drops buffers from the limit on and sends EOS once, so that the encoder and
 * muxer finish the file properly. One per stream. */
typedef struct {
  GstClockTime limit;
  gboolean done;
} Limit;

static gboolean
has_suffix_ci (const gchar * s, const gchar * suffix)
{
  gsize ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && g_ascii_strcasecmp (s + ls - lx, suffix) == 0;
}

static GstPadProbeReturn
count_faces (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stats *st = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gpointer state = NULL;
  GstVideoRegionOfInterestMeta *roi;
  guint n = 0;

  __atomic_add_fetch (&st->app->frames, 1, __ATOMIC_RELAXED);
  if (st->app->summary) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    annotate_summary_add (st->app->summary, buf, caps);
    if (caps)
      gst_caps_unref (caps);
  }
  if (GST_BUFFER_PTS_IS_VALID (buf))
    __atomic_store_n (&st->app->position, GST_BUFFER_PTS (buf), __ATOMIC_RELAXED);
  while ((roi = gst_buffer_iterate_facerec_faces (buf, &state))) {
    const gchar *label = NULL;
    gint id;
    gdouble score, distance;
    n++;
    if (gst_facerec_roi_get_recognition (roi, &label, &id, &score, &distance)
        && label) {
      guint c = GPOINTER_TO_UINT (g_hash_table_lookup (st->names, label));
      g_hash_table_replace (st->names, g_strdup (label), GUINT_TO_POINTER (c + 1));
    } else {
      st->unknown++;
    }
  }
  st->faces += n;
  if (n > 0)
    st->frames_with_faces++;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
stop_at_limit (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Limit *l = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (l->done)
    return GST_PAD_PROBE_DROP;
  if (!GST_BUFFER_PTS_IS_VALID (buf) || GST_BUFFER_PTS (buf) < l->limit)
    return GST_PAD_PROBE_OK;
  l->done = TRUE;
  gst_pad_send_event (pad, gst_event_new_eos ());
  return GST_PAD_PROBE_DROP;
}

/* Ends the stream that enters at pad at the --duration limit. */
static void
add_limit (App * app, GstPad * pad)
{
  Limit *l;
  if (!GST_CLOCK_TIME_IS_VALID (app->limit))
    return;
  l = g_new0 (Limit, 1);
  l->limit = app->limit;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stop_at_limit, l, g_free);
}

/* The first available factory of a NULL-terminated list. */
static GstElement *
make_first (const gchar * first, ...)
{
  va_list ap;
  const gchar *f = first;
  GstElement *e = NULL;
  va_start (ap, first);
  while (f && !(e = gst_element_factory_make (f, NULL)))
    f = va_arg (ap, const gchar *);
  va_end (ap);
  return e;
}

/* queue ! audioconvert ! audioresample ! ENCODER ! mux, for one audio stream.
 * Returns the branch's sink pad (a new reference), or NULL when the output
 * cannot take audio. Runs in a streaming thread, before data flows. */
static GstPad *
add_audio_branch (App * app)
{
  GstElement *queue, *conv, *res, *enc;
  GstPad *pad;
  const gchar *o = app->output;

  if (!app->mux)
    return NULL;
  if (has_suffix_ci (o, ".webm"))
    enc = make_first ("opusenc", "vorbisenc", NULL);
  else if (has_suffix_ci (o, ".avi"))
    enc = make_first ("lamemp3enc", "avenc_aac", "voaacenc", NULL);
  else
    enc = make_first ("avenc_aac", "voaacenc", "fdkaacenc", NULL);
  if (!enc) {
    g_printerr ("facerec-annotate: warning: no audio encoder for %s (install "
        "gstreamer1.0-libav); the audio is dropped\n", o);
    return NULL;
  }
  queue = gst_element_factory_make ("queue", NULL);
  conv = gst_element_factory_make ("audioconvert", NULL);
  res = gst_element_factory_make ("audioresample", NULL);
  if (!queue || !conv || !res) {
    g_printerr ("facerec-annotate: warning: audioconvert/audioresample missing; "
        "the audio is dropped\n");
    if (queue)
      gst_object_unref (gst_object_ref_sink (queue));
    if (conv)
      gst_object_unref (gst_object_ref_sink (conv));
    if (res)
      gst_object_unref (gst_object_ref_sink (res));
    gst_object_unref (gst_object_ref_sink (enc));
    return NULL;
  }
  gst_bin_add_many (GST_BIN (app->pipeline), queue, conv, res, enc, NULL);
  if (!gst_element_link_many (queue, conv, res, enc, app->mux, NULL)) {
    g_printerr ("facerec-annotate: warning: %s cannot hold this audio stream; "
        "it is dropped\n", o);
    gst_element_set_state (queue, GST_STATE_NULL);
    gst_bin_remove_many (GST_BIN (app->pipeline), queue, conv, res, enc, NULL);
    return NULL;
  }
  gst_element_sync_state_with_parent (enc);
  gst_element_sync_state_with_parent (res);
  gst_element_sync_state_with_parent (conv);
  gst_element_sync_state_with_parent (queue);
  pad = gst_element_get_static_pad (queue, "sink");
  return pad;
}

static void
on_pad_added (GstElement * decodebin, GstPad * pad, gpointer user_data)
{
  App *app = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name;
  GstPad *sinkpad = NULL;
  (void) decodebin;

  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_has_prefix (name, "video/") && !app->linked_video) {
    GstPad *sink = gst_element_get_static_pad (app->video_entry, "sink");
    if (gst_pad_link (pad, sink) == GST_PAD_LINK_OK)
      app->linked_video = TRUE;
    gst_object_unref (sink);
    gst_caps_unref (caps);
    return;
  }
  if (g_str_has_prefix (name, "audio/")) {
    sinkpad = add_audio_branch (app);
    if (sinkpad && gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK) {
      app->audio_streams++;
      add_limit (app, sinkpad);
      gst_object_unref (sinkpad);
      gst_caps_unref (caps);
      return;
    }
    if (sinkpad)
      gst_object_unref (sinkpad);
  }
  {
    /* Streams we do not keep (a second video, subtitles, audio that the
     * output cannot hold) are consumed, so that the demuxer does not stop on
     * not-linked. */
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
    gst_bin_add (GST_BIN (app->pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_link (pad, sinkpad);
    add_limit (app, sinkpad);
    gst_object_unref (sinkpad);
  }
  gst_caps_unref (caps);
}

/* A file without video (e.g. audio only) would never preroll: the muxer waits
 * for its video pad forever. Once decodebin has exposed every stream, fail. */
static void
on_no_more_pads (GstElement * decodebin, gpointer user_data)
{
  App *app = user_data;
  GError *err;
  (void) decodebin;
  if (app->linked_video)
    return;
  err = g_error_new_literal (GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
      "no video stream (audio only, or no stream GStreamer can decode)");
  gst_element_post_message (app->pipeline,
      gst_message_new_error (GST_OBJECT (app->pipeline), err, NULL));
  g_error_free (err);
}

static GstElement *
make (const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (!e) {
    g_printerr ("facerec-annotate: GStreamer element '%s' is missing.\n", factory);
    if (g_str_has_prefix (factory, "face"))
      g_printerr ("  Is the facerec plugin on GST_PLUGIN_PATH? (build/gst in the "
          "source tree, or run 'meson install')\n");
    else
      g_printerr ("  Install the GStreamer plugins (scripts/install-deps.sh).\n");
    exit (1);
  }
  return e;
}

/* Loading the models and decoding the first frame: 1-3 s here. A file that has
 * not prerolled after this long never will (facerec-batch bounds the rest). */
#define PREROLL_TIMEOUT (120 * GST_SECOND)

static gint
compare_counts (gconstpointer a, gconstpointer b, gpointer names)
{
  guint ca = GPOINTER_TO_UINT (g_hash_table_lookup (names, *(const gchar **) a));
  guint cb = GPOINTER_TO_UINT (g_hash_table_lookup (names, *(const gchar **) b));
  return ca == cb ? strcmp (*(const gchar **) a, *(const gchar **) b) : (cb > ca ? 1 : -1);
}

/* Usage errors: the message, a hint, exit 2 (as the C++ tools do). */
static int
usage_error (const gchar * msg)
{
  g_printerr ("facerec-annotate: %s\nTry 'facerec-annotate --help' for more information.\n", msg);
  return 2;
}

static void
print_summary (const App * app, const Stats * st, const gchar * model, OutFile * outs, guint n_outs)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k, v;
  guint i;
  g_print ("%s: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
      " with faces, %" G_GUINT64_FORMAT " faces%s\n", app->input, app->frames,
      st->frames_with_faces, st->faces, app->interrupted ? " (interrupted)" : "");
  if (app->audio_streams)
    g_print ("  audio: %u stream%s kept\n", app->audio_streams, app->audio_streams > 1 ? "s" : "");
  g_hash_table_iter_init (&it, st->names);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_ptr_array_add (keys, k);
  g_ptr_array_sort_with_data (keys, compare_counts, st->names);
  for (i = 0; i < keys->len; i++)
    g_print ("  %-24s %u faces\n", (const gchar *) keys->pdata[i],
        GPOINTER_TO_UINT (g_hash_table_lookup (st->names, keys->pdata[i])));
  if (model)
    g_print ("  %-24s %" G_GUINT64_FORMAT " faces\n", "(unknown)", st->unknown);
  g_print ("wrote %s", outs[0].final);
  for (i = 1; i < n_outs; i++)
    if (outs[i].final)
      g_print ("%s%s", i + 1 < n_outs && outs[i + 1].final ? ", " : " and ", outs[i].final);
  g_print ("\n");
  g_ptr_array_free (keys, TRUE);
}

int
main (int argc, char **argv)
{
  /* g_autofree: freed on every return, usage errors included */
  g_autofree gchar *output = NULL, *model = NULL, *jsonl = NULL, *detector = NULL, *embedder = NULL;
  g_autofree gchar *summary_image = NULL, *summary_data = NULL;
  gdouble duration = 0;
  gboolean quiet = FALSE, progress = FALSE, direct = FALSE;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "Annotated output (.mp4, .mkv, .webm, .png, .jpg)", "FILE"},
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
        "Trained model from facerec-train (without it faces are only detected)", "MODEL"},
    {"jsonl", 'j', 0, G_OPTION_ARG_FILENAME, &jsonl,
        "Also write the results as JSON Lines to FILE", "FILE"},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
        "Process only the first SEC seconds (0: all)", "SEC"},
    {"summary-image", 's', 0, G_OPTION_ARG_FILENAME, &summary_image,
          "Also write a contact sheet of who was seen (one tile per person and per "
          "unknown face track: best face, name, first and last time, frames)", "FILE.png"},
    {"detector", 0, 0, G_OPTION_ARG_FILENAME, &detector,
        "Detector model file (default: the bundled default)", "FILE"},
    {"embedder", 0, 0, G_OPTION_ARG_FILENAME, &embedder,
        "Embedder model file (default: the bundled default)", "FILE"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only errors", NULL},
    {"progress", 0, 0, G_OPTION_ARG_NONE, &progress,
        "Print machine-readable progress and results on stderr", NULL},
    {"summary-data", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &summary_data,
        "Also keep the sheet's tiles as PREFIX.tsv + PREFIX.png (facerec-batch)", "PREFIX"},
    {"direct", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &direct,
        "Write the outputs under the names given (the caller renames; facerec-batch)", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("INPUT - annotate faces in a video or image");
  GError *err = NULL;
  App app = { 0 };
  Stats st = { 0 };
  OutFile outs[3] = { {0} };    /* video, JSONL, summary image */
  GstElement *src, *conv1, *detect, *queue, *recog, *exporter, *overlay, *conv3, *enc = NULL, *mux = NULL, *sink;
  gboolean still, ok;
  gchar *uri;
  GstPad *probe_pad;
  guint tiles = 0, people = 0;

  annotate_install_signals ();
  g_option_context_set_description (ctx,
      "Outputs are written as .tmp-NAME in their folder and renamed at the end, so a killed\n"
      "run leaves nothing under the final names. Ctrl-C (SIGINT) or SIGTERM ends the streams\n"
      "(EOS): the outputs are finished, playable, with the frames so far; exit status 130\n"
      "(SIGINT) or 143 (SIGTERM). A second Ctrl-C aborts and removes the temporary files.\n"
      "Exit status: 0 done, 1 error, 2 usage error.\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    const int rc = usage_error (err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return rc;
  }
  g_option_context_free (ctx);
  if (argc < 2)
    return usage_error ("missing INPUT (the video or image to annotate)");
  if (argc > 2) {
    g_autofree gchar *m = g_strdup_printf (  /* freed on return */
        "unexpected argument '%s' (only one INPUT)", argv[2]);
    return usage_error (m);
  }
  if (!output)
    return usage_error ("missing -o OUTPUT (the annotated file to write: .mp4, .mkv, .webm, "
        ".mov, .avi, .png or .jpg)");
  if (duration < 0)
    return usage_error ("--duration must be 0 (all) or more seconds");
  if (summary_image && !has_suffix_ci (summary_image, ".png"))
    return usage_error ("--summary-image needs a .png file name");
  if (!g_file_test (argv[1], G_FILE_TEST_IS_REGULAR)) {
    g_printerr (g_file_test (argv[1], G_FILE_TEST_EXISTS)
                ? "facerec-annotate: %s: not a regular file (a folder, FIFO or device): give a video or image file\n"
                : "facerec-annotate: %s: no such file\n", argv[1]);
    return 1;
  }
  if (model && !g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
    g_printerr ("facerec-annotate: %s: no such model file (train one with facerec-train)\n",
        model);
    return 1;
  }

  app.input = argv[1];
  app.output = output;
  app.limit = GST_CLOCK_TIME_NONE;
  app.position = GST_CLOCK_TIME_NONE;
  app.machine_progress = progress;
  /* one redrawn line, only for a person watching a terminal */
  app.human_progress = !quiet && !progress && isatty (STDERR_FILENO);
  st.app = &app;
  out_file_init (&outs[0], output, direct);
  if (jsonl)
    out_file_init (&outs[1], jsonl, direct);
  if (summary_image) {
    out_file_init (&outs[2], summary_image, direct);
    app.summary = annotate_summary_new ();
  }
  annotate_abort_removes (outs, G_N_ELEMENTS (outs));

  still = has_suffix_ci (output, ".png") || has_suffix_ci (output, ".jpg")
      || has_suffix_ci (output, ".jpeg");
  app.pipeline = gst_pipeline_new ("annotate");
  src = make ("uridecodebin");
  uri = gst_filename_to_uri (argv[1], NULL);
  g_object_set (src, "uri", uri, NULL);
  g_free (uri);
  conv1 = make ("videoconvert");
  detect = make ("facedetect-dnn");
  queue = make ("queue");
  recog = make ("facerecognize");
  exporter = make ("faceexport");
  overlay = make ("facerec-overlay");
  conv3 = make ("videoconvert");
  sink = make ("filesink");
  g_object_set (sink, "location", outs[0].tmp, NULL);
  if (detector)
    g_object_set (detect, "model", detector, NULL);
  if (embedder)
    g_object_set (recog, "embedder", embedder, NULL);
  if (model)
    g_object_set (recog, "model", model, NULL);
  if (jsonl)
    g_object_set (exporter, "location", outs[1].tmp, NULL);

  if (still) {
    enc = make (has_suffix_ci (output, ".png") ? "pngenc" : "jpegenc");
    if (has_suffix_ci (output, ".png"))
      g_object_set (enc, "snapshot", TRUE, NULL);
  } else if (has_suffix_ci (output, ".webm")) {
    enc = make ("vp8enc");
    mux = make ("webmmux");
  } else {
    enc = make ("x264enc");
    gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "veryfast");
    mux = make (has_suffix_ci (output, ".mkv") ? "matroskamux"
        : has_suffix_ci (output, ".mov") ? "qtmux"
        : has_suffix_ci (output, ".avi") ? "avimux" : "mp4mux");
  }
  app.mux = mux;

  gst_bin_add_many (GST_BIN (app.pipeline), src, conv1, detect, queue, recog,
      overlay, conv3, enc, sink, NULL);
  if (jsonl)
    gst_bin_add (GST_BIN (app.pipeline), exporter);
  else
    gst_object_unref (gst_object_ref_sink (exporter));
  if (mux)
    gst_bin_add (GST_BIN (app.pipeline), mux);

  ok = gst_element_link_many (conv1, detect, queue, recog, NULL);
  if (jsonl)
    ok = ok && gst_element_link_many (recog, exporter, overlay, NULL);
  else
    ok = ok && gst_element_link (recog, overlay);
  ok = ok && gst_element_link_many (overlay, conv3, enc, NULL);
  ok = ok && (mux ? gst_element_link_many (enc, mux, sink, NULL) : gst_element_link (enc, sink));
  if (!ok) {
    g_printerr ("facerec-annotate: could not link the pipeline\n");
    return 1;
  }
  app.video_entry = conv1;
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), &app);
  g_signal_connect (src, "no-more-pads", G_CALLBACK (on_no_more_pads), &app);

  if (duration > 0 && !still) {
    /* End the stream at the limit. (A seek with a stop position would reach the
     * muxer after it has started writing, and mp4mux cannot be flushed.) The
     * other streams get the same probe in on_pad_added. */
    GstPad *pad = gst_element_get_static_pad (conv1, "sink");
    app.limit = (GstClockTime) (duration * GST_SECOND);
    add_limit (&app, pad);
    gst_object_unref (pad);
  }
  st.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  probe_pad = gst_element_get_static_pad (recog, "src");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER, count_faces, &st, NULL);
  gst_object_unref (probe_pad);

  ok = FALSE;
  if (gst_element_set_state (app.pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE) {
    /* The error (e.g. a missing model) is on the bus already. */
    annotate_wait (&app, GST_MESSAGE_ASYNC_DONE, 5 * GST_SECOND);
  } else if (!annotate_wait (&app, GST_MESSAGE_ASYNC_DONE, PREROLL_TIMEOUT)) {
    /* annotate_wait printed the error or the timeout; waiting again would wait forever */
  } else if (!app.linked_video) {
    g_printerr ("facerec-annotate: %s: no video stream\n", argv[1]);
  } else {
    annotate_query_length (&app, src);
    gst_element_set_state (app.pipeline, GST_STATE_PLAYING);
    ok = annotate_wait (&app, GST_MESSAGE_EOS, GST_CLOCK_TIME_NONE);
  }
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  gst_object_unref (app.pipeline);
  if (ok && app.summary) {
    gchar *title = g_path_get_basename (argv[1]), *why = NULL;
    if (!annotate_summary_write (app.summary, outs[2].tmp, summary_data, title, &tiles, &people,
            &why)) {
      g_printerr ("facerec-annotate: %s: cannot write the summary image: %s\n", summary_image, why);
      ok = FALSE;
    }
    g_free (why);
    g_free (title);
  }
  for (guint i = 0; ok && i < G_N_ELEMENTS (outs); i++)
    ok = out_file_commit (&outs[i]);
  if (!ok) {
    for (guint i = 0; i < G_N_ELEMENTS (outs); i++) {
      out_file_discard (&outs[i]);
      out_file_clear (&outs[i]);
    }
    if (app.summary)
      annotate_summary_free (app.summary);
    g_hash_table_destroy (st.names);
    return app.interrupted ? 128 + app.interrupted : 1;
  }
  if (progress) {
    GHashTableIter it;
    gpointer k, v;
    g_printerr ("progress 1.000\n");
    g_printerr ("stats %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
        " %" G_GUINT64_FORMAT "\n", app.frames, st.frames_with_faces, st.faces, st.unknown);
    g_hash_table_iter_init (&it, st.names);
    while (g_hash_table_iter_next (&it, &k, &v))
      g_printerr ("name %u %s\n", GPOINTER_TO_UINT (v), (const gchar *) k);
  }
  if (!quiet) {
    print_summary (&app, &st, model, outs, G_N_ELEMENTS (outs));
    if (summary_image)
      g_print ("summary image: %u tile(s): %u known, %u unknown\n", tiles, people, tiles - people);
  }
  if (app.summary)
    annotate_summary_free (app.summary);
  g_hash_table_destroy (st.names);
  for (guint i = 0; i < G_N_ELEMENTS (outs); i++)
    out_file_clear (&outs[i]);
  if (app.interrupted) {
    if (!quiet)
      g_printerr ("facerec-annotate: stopped early by %s; the outputs hold what was processed\n",
          app.interrupted == SIGINT ? "SIGINT" : "SIGTERM");
    return 128 + app.interrupted;
  }
  return 0;
}
