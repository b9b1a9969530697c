/* read-faces: print the faces that gst-facerec finds in a video or an image.
 *
 *   read-faces [--max-frames N] VIDEO_OR_IMAGE [MODEL]
 *
 * A minimal application of the public metadata API (<gst/facerec/facemeta.h>,
 * pkg-config gstfacerec-1.0). It runs
 *
 *   filesrc ! decodebin ! videoconvert ! facedetect-dnn ! facerecognize ! appsink
 *
 * pulls the frames from the appsink and prints, per frame, every face: its box,
 * the detector's confidence, the name ("unknown" for a face the model does not
 * know), the classifier's score and distance, and the first values of its
 * embedding with the embedding's length. Without MODEL the faces are detected
 * and embedded but not named.
 *
 * Exit status: 0 on success, 1 on an error (missing file, undecodable input,
 * missing plugin or model), 2 on bad usage.
 *
 * Build against the installed plugin:
 *   cc read-faces.c -o read-faces $(pkg-config --cflags --libs gstfacerec-1.0 gstreamer-video-1.0)
 */
#include <gst/gst.h>
#include <gst/video/video.h>
#ifdef FACEREC_UNINSTALLED
#include "facemeta.h"           /* the source tree's gst/facemeta.h */
#else
#include <gst/facerec/facemeta.h>
#endif

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#define PROG "read-faces"

static void
usage (void)
{
  g_printerr ("usage: " PROG " [--max-frames N] VIDEO_OR_IMAGE [MODEL]\n"
      "  Prints the faces of every frame: box, detection confidence, name or\n"
      "  \"unknown\", score, distance and the start of the embedding.\n"
      "  MODEL: a model trained with facerec-train (without it faces are not named).\n"
      "  --max-frames N: stop after N frames (0, the default: all).\n");
}

/* Prints the first error message waiting on the bus (the ones after it are
 * usually its consequences). Returns TRUE if there was an error. */
static gboolean
check_bus (GstBus * bus, const gchar * input)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *dbg = NULL;

  if (!msg)
    return FALSE;
  gst_message_parse_error (msg, &err, &dbg);
  g_printerr (PROG ": %s: error from %s: %s\n", input,
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
  if (dbg)
    g_printerr ("  (%s)\n", dbg);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  return TRUE;
}

/* One line per face of @buffer. Returns the number of faces. */
static guint
print_faces (GstBuffer * buffer)
{
  gpointer state = NULL;
  GstVideoRegionOfInterestMeta *roi;
  guint n = 0;

  while ((roi = gst_buffer_iterate_facerec_faces (buffer, &state))) {
    GstFaceRecEmbeddingMeta *emb;
    gdouble confidence = 0, score = 0, distance = 0;
    const gchar *label = NULL;
    gint label_id = -1;

    n++;
    g_print ("  face %d: box %u,%u %ux%u", roi->id, roi->x, roi->y, roi->w, roi->h);
    if (gst_facerec_roi_get_detection (roi, &confidence, NULL))
      g_print (" confidence %.3f", confidence);
    if (gst_facerec_roi_get_recognition (roi, &label, &label_id, &score, &distance))
      g_print (" name %s score %.3f distance %.3f", label ? label : "unknown",
          score, distance);
    else
      g_print (" name (not recognised: no model)");

    emb = gst_buffer_get_facerec_embedding_meta (buffer, roi->id);
    if (emb) {
      guint i;
      g_print (" embedding [");
      for (i = 0; i < emb->dim && i < 4; i++)
        g_print ("%s%.4f", i ? ", " : "", emb->data[i]);
      g_print ("%s] dim %u", emb->dim > 4 ? ", ..." : "", emb->dim);
    } else {
      g_print (" embedding none");
    }
    g_print ("\n");
  }
  return n;
}

int
main (int argc, char **argv)
{
  const gchar *input = NULL, *model = NULL;
  guint64 max_frames = 0, frames = 0, faces = 0;
  GstElement *pipeline, *src, *recognize, *sink;
  GstBus *bus;
  GError *err = NULL;
  gboolean failed = FALSE;
  int i;

  setlocale (LC_ALL, "");
  setlocale (LC_NUMERIC, "C");  /* "0.5", whatever the locale */
  gst_init (&argc, &argv);

  for (i = 1; i < argc; i++) {
    const gchar *a = argv[i];
    if (g_str_equal (a, "-h") || g_str_equal (a, "--help")) {
      usage ();
      return 0;
    } else if (g_str_equal (a, "--max-frames") || g_str_equal (a, "-n")) {
      gchar *end = NULL;
      if (i + 1 >= argc) {
        usage ();
        return 2;
      }
      max_frames = g_ascii_strtoull (argv[++i], &end, 10);
      if (!end || *end || end == argv[i]) {
        g_printerr (PROG ": --max-frames: not a number: %s\n", argv[i]);
        return 2;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      g_printerr (PROG ": unknown option %s\n", a);
      usage ();
      return 2;
    } else if (!input) {
      input = a;
    } else if (!model) {
      model = a;
    } else {
      usage ();
      return 2;
    }
  }
  if (!input) {
    usage ();
    return 2;
  }
  if (!g_file_test (input, G_FILE_TEST_IS_REGULAR)) {
    g_printerr (PROG ": %s: no such file\n", input);
    return 1;
  }
  if (model && !g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
    g_printerr (PROG ": %s: no such model file (train one with facerec-train)\n", model);
    return 1;
  }

  /* The file names are set as properties below, so they need no escaping. */
  pipeline = gst_parse_launch ("filesrc name=src ! decodebin ! videoconvert ! "
      "facedetect-dnn ! facerecognize name=recognize ! "
      "appsink name=sink sync=false max-buffers=8", &err);
  if (!pipeline) {
    g_printerr (PROG ": cannot build the pipeline: %s\n", err ? err->message : "?");
    g_printerr ("  Is the facerec plugin on GST_PLUGIN_PATH?\n");
    g_clear_error (&err);
    return 1;
  }
  if (err) {
    /* A recoverable error: an element is missing. */
    g_printerr (PROG ": %s\n", err->message);
    g_printerr ("  Is the facerec plugin on GST_PLUGIN_PATH?\n");
    g_clear_error (&err);
    gst_object_unref (pipeline);
    return 1;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  recognize = gst_bin_get_by_name (GST_BIN (pipeline), "recognize");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", input, NULL);
  if (model)
    g_object_set (recognize, "model", model, NULL);
  bus = gst_element_get_bus (pipeline);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    if (!check_bus (bus, input))
      g_printerr (PROG ": %s: the pipeline does not start\n", input);
    failed = TRUE;
  }

  while (!failed) {
    GstSample *sample = NULL;
    gboolean eos = FALSE;

    /* appsink's action signals: no need to link gstreamer-app. A short
     * timeout, so that errors on the bus are seen. */
    g_signal_emit_by_name (sink, "try-pull-sample", (GstClockTime) (100 * GST_MSECOND),
        &sample);
    if (!sample) {
      if (check_bus (bus, input)) {
        failed = TRUE;
        break;
      }
      g_object_get (sink, "eos", &eos, NULL);
      if (eos)
        break;
      continue;
    } else {
      GstBuffer *buffer = gst_sample_get_buffer (sample);
      guint n;

      if (GST_BUFFER_PTS_IS_VALID (buffer))
        g_print ("frame %" G_GUINT64_FORMAT " t=%.3f s\n", frames,
            (gdouble) GST_BUFFER_PTS (buffer) / GST_SECOND);
      else
        g_print ("frame %" G_GUINT64_FORMAT "\n", frames);
      n = print_faces (buffer);
      if (n == 0)
        g_print ("  no face\n");
      faces += n;
      frames++;
      gst_sample_unref (sample);
      if (max_frames && frames >= max_frames)
        break;
    }
  }
  if (!failed && check_bus (bus, input))
    failed = TRUE;

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (recognize);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  if (failed)
    return 1;
  if (frames == 0) {
    g_printerr (PROG ": %s: no video frame decoded\n", input);
    return 1;
  }
  g_print ("%" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " faces\n", frames, faces);
  return 0;
}
