/* facerec-annotate: write an annotated copy of a video (or image) and its JSON Lines.
 *
 *   facerec-annotate INPUT -o OUTPUT [-m MODEL] [--jsonl FILE] [--duration SEC]
 *                    [--detector FILE] [--embedder FILE] [-q] [--progress]
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

#include "facemeta.h"

typedef struct _App App;

typedef struct {
  App *app;
  guint64 frames;
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

struct _App {
  GstElement *pipeline;
  GstElement *video_entry;      /* first element of the video chain */
  GstElement *mux;              /* NULL for a still image */
  const gchar *output;
  GstClockTime limit;           /* --duration, or GST_CLOCK_TIME_NONE */
  gboolean linked_video;
  guint audio_streams;
  GstClockTime position;        /* last video PTS (written by the streaming thread) */
};

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
  (void) pad;

  st->frames++;
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

/* For --progress: the length that will be processed (0: unknown). */
static GstClockTime progress_total;
static gboolean progress;

static void
print_progress (App * app)
{
  GstClockTime pos = __atomic_load_n (&app->position, __ATOMIC_RELAXED);
  gdouble f;
  if (!progress || progress_total == 0 || !GST_CLOCK_TIME_IS_VALID (pos))
    return;
  f = (gdouble) pos / (gdouble) progress_total;
  g_printerr ("progress %.3f\n", CLAMP (f, 0.0, 0.999));
}

/* Waits for ASYNC_DONE/EOS/ERROR. Returns TRUE on the awaited type. With
 * --progress, prints the progress once a second meanwhile. Gives up after
 * timeout (GST_CLOCK_TIME_NONE: never) and says so. */
static gboolean
wait_bus (App * app, GstMessageType type, const gchar * input, GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (app->pipeline);
  gboolean ok = FALSE;
  gint64 deadline = GST_CLOCK_TIME_IS_VALID (timeout) ?
      g_get_monotonic_time () + (gint64) (timeout / GST_USECOND) : G_MAXINT64;
  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstClockTime wait = progress ? GST_SECOND : GST_CLOCK_TIME_NONE;
    GstMessage *msg;
    if (left <= 0) {
      g_printerr ("facerec-annotate: %s: nothing decoded within %.0f s: is it a playable "
          "video or image?\n", input, (gdouble) timeout / GST_SECOND);
      break;
    }
    if (deadline != G_MAXINT64 && (!GST_CLOCK_TIME_IS_VALID (wait)
            || (GstClockTime) left * GST_USECOND < wait))
      wait = (GstClockTime) left * GST_USECOND;
    msg = gst_bus_timed_pop_filtered (bus, wait, type | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (!msg) {
      print_progress (app);
      continue;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *dbg = NULL;
      gst_message_parse_error (msg, &err, &dbg);
      if (msg->src == GST_OBJECT (app->pipeline))     /* ours (see on_no_more_pads) */
        g_printerr ("facerec-annotate: %s: %s\n", input, err->message);
      else
        g_printerr ("facerec-annotate: %s: error from %s: %s\n", input,
            GST_OBJECT_NAME (msg->src), err->message);
      if (dbg)
        g_printerr ("  (%s)\n", dbg);
      g_clear_error (&err);
      g_free (dbg);
      gst_message_unref (msg);
      break;
    }
    if (GST_MESSAGE_TYPE (msg) == type || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      ok = TRUE;
      gst_message_unref (msg);
      break;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return ok;
}

static gint
compare_counts (gconstpointer a, gconstpointer b, gpointer names)
{
  guint ca = GPOINTER_TO_UINT (g_hash_table_lookup (names, *(const gchar **) a));
  guint cb = GPOINTER_TO_UINT (g_hash_table_lookup (names, *(const gchar **) b));
  return ca == cb ? strcmp (*(const gchar **) a, *(const gchar **) b) : (cb > ca ? 1 : -1);
}

int
main (int argc, char **argv)
{
  gchar *output = NULL, *model = NULL, *jsonl = NULL, *detector = NULL, *embedder = NULL;
  gdouble duration = 0;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "Annotated output (.mp4, .mkv, .webm, .png, .jpg)", "FILE"},
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
        "Trained model from facerec-train (without it faces are only detected)", "MODEL"},
    {"jsonl", 'j', 0, G_OPTION_ARG_FILENAME, &jsonl,
        "Also write the results as JSON Lines to FILE", "FILE"},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
        "Process only the first SEC seconds (0: all)", "SEC"},
    {"detector", 0, 0, G_OPTION_ARG_FILENAME, &detector,
        "Detector model file (default: the bundled default)", "FILE"},
    {"embedder", 0, 0, G_OPTION_ARG_FILENAME, &embedder,
        "Embedder model file (default: the bundled default)", "FILE"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only errors", NULL},
    {"progress", 0, 0, G_OPTION_ARG_NONE, &progress,
        "Print machine-readable progress and results on stderr", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("INPUT - annotate faces in a video or image");
  GError *err = NULL;
  App app = { 0 };
  Stats st = { 0 };
  GstElement *src, *conv1, *detect, *queue, *recog, *exporter, *overlay, *conv3, *enc = NULL, *mux = NULL, *sink;
  gboolean still, ok;
  gchar *uri;
  GstPad *probe_pad;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("facerec-annotate: %s\n", err->message);
    return 2;
  }
  if (argc != 2 || !output) {
    g_printerr ("%s", g_option_context_get_help (ctx, TRUE, NULL));
    return 2;
  }
  g_option_context_free (ctx);
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

  app.output = output;
  app.limit = GST_CLOCK_TIME_NONE;
  app.position = GST_CLOCK_TIME_NONE;
  st.app = &app;
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
  g_object_set (sink, "location", output, NULL);
  if (detector)
    g_object_set (detect, "model", detector, NULL);
  if (embedder)
    g_object_set (recog, "embedder", embedder, NULL);
  if (model)
    g_object_set (recog, "model", model, NULL);
  if (jsonl)
    g_object_set (exporter, "location", jsonl, NULL);

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

  if (gst_element_set_state (app.pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE) {
    /* The error (e.g. a missing model) is on the bus already. */
    wait_bus (&app, GST_MESSAGE_ASYNC_DONE, argv[1], 5 * GST_SECOND);
    gst_element_set_state (app.pipeline, GST_STATE_NULL);
    return 1;
  }
  if (!wait_bus (&app, GST_MESSAGE_ASYNC_DONE, argv[1], PREROLL_TIMEOUT)) {
    /* wait_bus printed the error or the timeout; waiting again would wait forever */
    gst_element_set_state (app.pipeline, GST_STATE_NULL);
    return 1;
  }
  if (!app.linked_video) {
    g_printerr ("facerec-annotate: %s: no video stream\n", argv[1]);
    gst_element_set_state (app.pipeline, GST_STATE_NULL);
    return 1;
  }
  if (progress) {
    gint64 len = -1;
    if (!gst_element_query_duration (app.pipeline, GST_FORMAT_TIME, &len) || len <= 0)
      if (!gst_element_query_duration (src, GST_FORMAT_TIME, &len))
        len = -1;
    if (GST_CLOCK_TIME_IS_VALID (app.limit) && (len <= 0 || (GstClockTime) len > app.limit))
      len = (gint64) app.limit;
    progress_total = len > 0 ? (GstClockTime) len : 0;
    g_printerr ("length %.3f\n", (gdouble) progress_total / GST_SECOND);
  }
  gst_element_set_state (app.pipeline, GST_STATE_PLAYING);
  ok = wait_bus (&app, GST_MESSAGE_EOS, argv[1], GST_CLOCK_TIME_NONE);
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  gst_object_unref (app.pipeline);
  if (!ok)
    return 1;
  if (progress) {
    GHashTableIter it;
    gpointer k, v;
    g_printerr ("progress 1.000\n");
    g_printerr ("stats %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
        " %" G_GUINT64_FORMAT "\n", st.frames, st.frames_with_faces, st.faces, st.unknown);
    g_hash_table_iter_init (&it, st.names);
    while (g_hash_table_iter_next (&it, &k, &v))
      g_printerr ("name %u %s\n", GPOINTER_TO_UINT (v), (const gchar *) k);
  }

  if (!quiet) {
    GPtrArray *keys = g_ptr_array_new ();
    GHashTableIter it;
    gpointer k, v;
    guint i;
    g_print ("%s: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
        " with faces, %" G_GUINT64_FORMAT " faces\n", argv[1], st.frames,
        st.frames_with_faces, st.faces);
    if (app.audio_streams)
      g_print ("  audio: %u stream%s kept\n", app.audio_streams,
          app.audio_streams > 1 ? "s" : "");
    g_hash_table_iter_init (&it, st.names);
    while (g_hash_table_iter_next (&it, &k, &v))
      g_ptr_array_add (keys, k);
    g_ptr_array_sort_with_data (keys, compare_counts, st.names);
    for (i = 0; i < keys->len; i++)
      g_print ("  %-24s %u faces\n", (const gchar *) keys->pdata[i],
          GPOINTER_TO_UINT (g_hash_table_lookup (st.names, keys->pdata[i])));
    if (model)
      g_print ("  %-24s %" G_GUINT64_FORMAT " faces\n", "(unknown)", st.unknown);
    g_print ("wrote %s%s%s\n", output, jsonl ? " and " : "", jsonl ? jsonl : "");
    g_ptr_array_free (keys, TRUE);
  }
  g_hash_table_destroy (st.names);
  g_free (output);
  g_free (model);
  g_free (jsonl);
  return 0;
}
