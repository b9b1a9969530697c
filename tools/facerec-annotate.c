/* facerec-annotate: write an annotated copy of a video (or image) and its JSON Lines.
 *
 *   facerec-annotate INPUT -o OUTPUT [-m MODEL] [--jsonl FILE] [--duration SEC]
 *                    [--detector FILE] [--embedder FILE] [-q]
 *
 * Runs  decode ! videoconvert ! facedetect-dnn ! queue ! facerecognize ! faceexport
 * ! facerec-overlay ! videoconvert ! encode ! mux
 * (no conversion between the detector and the overlay: in GStreamer 1.22 a
 * converting videoconvert drops the ROI params that carry the names)  and prints a summary of who was seen, read back from the buffers'
 * metadata through the public API in <gst/facerec/facemeta.h>.
 *
 * The output format follows OUTPUT's extension: .mp4 (H.264), .mkv (H.264),
 * .webm (VP8), .png or .jpg (first frame only, for still images).
 */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facemeta.h"

typedef struct {
  guint64 frames;
  guint64 frames_with_faces;
  guint64 faces;
  guint64 unknown;
  GHashTable *names;            /* name -> GUINT_TO_POINTER(count) */
} Stats;

typedef struct {
  GstElement *pipeline;
  GstElement *video_entry;      /* first element of the video chain */
  GstElement *audio_sink;
  gboolean linked_video;
} App;

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
  GstMeta *meta;
  guint n = 0;
  (void) pad;

  st->frames++;
  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    const gchar *label = NULL;
    gint id;
    gdouble score, distance;
    if (!gst_facerec_roi_is_face (roi))
      continue;
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

/* Drops buffers from the limit on and sends EOS once, so that the encoder and
 * muxer finish the file properly. */
typedef struct {
  GstClockTime limit;
  gboolean done;
} Limit;

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

static void
on_pad_added (GstElement * decodebin, GstPad * pad, gpointer user_data)
{
  App *app = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name;
  (void) decodebin;

  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_has_prefix (name, "video/") && !app->linked_video) {
    GstPad *sink = gst_element_get_static_pad (app->video_entry, "sink");
    if (gst_pad_link (pad, sink) == GST_PAD_LINK_OK)
      app->linked_video = TRUE;
    gst_object_unref (sink);
  } else {
    /* Streams we do not annotate (audio, a second video) are consumed, so that
     * the demuxer does not stop on not-linked. */
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    GstPad *sinkpad;
    g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
    gst_bin_add (GST_BIN (app->pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
  }
  gst_caps_unref (caps);
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

/* Waits for ASYNC_DONE/EOS/ERROR. Returns TRUE on the awaited type. */
static gboolean
wait_bus (GstElement * pipeline, GstMessageType type, const gchar * input)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gboolean ok = FALSE;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        type | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *dbg = NULL;
      gst_message_parse_error (msg, &err, &dbg);
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
  Limit limit = { GST_CLOCK_TIME_NONE, FALSE };

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
    g_printerr ("facerec-annotate: %s: no such file\n", argv[1]);
    return 1;
  }
  if (model && !g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
    g_printerr ("facerec-annotate: %s: no such model file (train one with facerec-train)\n",
        model);
    return 1;
  }

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
    mux = make (has_suffix_ci (output, ".mkv") ? "matroskamux" : "mp4mux");
  }

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

  if (duration > 0 && !still) {
    /* End the stream at the limit. (A seek with a stop position would reach the
     * muxer after it has started writing, and mp4mux cannot be flushed.) */
    GstPad *pad = gst_element_get_static_pad (conv1, "sink");
    limit.limit = (GstClockTime) (duration * GST_SECOND);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stop_at_limit, &limit, NULL);
    gst_object_unref (pad);
  }
  st.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  probe_pad = gst_element_get_static_pad (recog, "src");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER, count_faces, &st, NULL);
  gst_object_unref (probe_pad);

  if (gst_element_set_state (app.pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE
      || !wait_bus (app.pipeline, GST_MESSAGE_ASYNC_DONE, argv[1])) {
    /* The error (e.g. a missing model) was printed by wait_bus, or comes now. */
    wait_bus (app.pipeline, GST_MESSAGE_ASYNC_DONE, argv[1]);
    gst_element_set_state (app.pipeline, GST_STATE_NULL);
    return 1;
  }
  if (!app.linked_video) {
    g_printerr ("facerec-annotate: %s: no video stream\n", argv[1]);
    gst_element_set_state (app.pipeline, GST_STATE_NULL);
    return 1;
  }
  gst_element_set_state (app.pipeline, GST_STATE_PLAYING);
  ok = wait_bus (app.pipeline, GST_MESSAGE_EOS, argv[1]);
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  gst_object_unref (app.pipeline);
  if (!ok)
    return 1;

  if (!quiet) {
    GPtrArray *keys = g_ptr_array_new ();
    GHashTableIter it;
    gpointer k, v;
    guint i;
    g_print ("%s: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
        " with faces, %" G_GUINT64_FORMAT " faces\n", argv[1], st.frames,
        st.frames_with_faces, st.faces);
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
