/* gst-facerec: public metadata API
 *
 * Installed as <gst/facerec/facemeta.h>; link with pkg-config `gstfacerec-1.0`.
 *
 * Per face, `facedetect-dnn` attaches one GstVideoRegionOfInterestMeta:
 *   roi_type  "face"
 *   x, y, w, h  the box in frame pixels, clipped to the frame
 *   id        unique among the buffer's ROI metas (>= 1)
 *   params    a GstStructure named "detection":
 *       confidence  G_TYPE_DOUBLE  detector score, 0..1
 *       landmarks   GST_TYPE_ARRAY of 10 G_TYPE_DOUBLE: x0,y0,...,x4,y4 in frame
 *                   pixels, in this order: eye on the image left (subject's right
 *                   eye), eye on the image right, nose tip, mouth corner on the
 *                   image left, mouth corner on the image right
 *       fresh       G_TYPE_BOOLEAN  FALSE when the face was carried over from an
 *                   earlier frame instead of being detected on this one
 *       coarse-landmarks  optional, same layout and frame pixels as landmarks (and
 *                   read only where landmarks are present): the landmark net's first
 *                   pass (on the detector box) where a refinement pass gave "landmarks".
 *                   facerecognize embeds a face under both sets and their midpoint when
 *                   they disagree. An element that moves or rescales "landmarks" must do
 *                   the same to this field or remove it (a stale set makes the face look
 *                   in doubt)
 *
 * `facerecognize` adds to the same ROI a GstStructure named "recognition":
 *       label       G_TYPE_STRING  the person's name; absent when unknown
 *       label-id    G_TYPE_INT     index in the model's labels, -1 when unknown
 *       known       G_TYPE_BOOLEAN
 *       score       G_TYPE_DOUBLE  classifier confidence 0..1
 *       distance    G_TYPE_DOUBLE  Euclidean distance to the nearest enrolled
 *                                  embedding of the predicted person
 *       fresh       G_TYPE_BOOLEAN TRUE when the face was embedded and classified
 *                                  on this frame; FALSE when its track carries the
 *                                  name it was given on an earlier frame
 * and one GstFaceRecEmbeddingMeta per face, linked to the ROI by roi_id (on
 * frames where a tracked face is not embedded: its track's latest embedding).
 *
 * With tracking (facedetect-dnn `tracking`, on by default) every face ROI also has
 * a GstStructure named "tracking":
 *       id          G_TYPE_UINT64  the track: the same face keeps its id from frame
 *                                  to frame (through short misses); ids start at 1
 *                                  and are never reused within a stream
 *       first-seen  G_TYPE_UINT64  PTS (ns) of the frame the track was first
 *                                  detected on, GST_CLOCK_TIME_NONE when unknown
 *       last-seen   G_TYPE_UINT64  PTS of the track's latest detection
 *       age         G_TYPE_UINT    frames since its first detection (0 on that frame)
 *
 * Note: in GStreamer 1.22, videoscale/videoconvertscale rescale ROI boxes but drop
 * their params; the helpers below then return FALSE.
 */
#ifndef __GST_FACEREC_FACEMETA_H__
#define __GST_FACEREC_FACEMETA_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_FACEREC_ROI_TYPE "face"
#define GST_FACEREC_DETECTION "detection"
#define GST_FACEREC_RECOGNITION "recognition"
#define GST_FACEREC_TRACKING "tracking"
#define GST_FACEREC_NUM_LANDMARKS 5

typedef struct _GstFaceRecEmbeddingMeta GstFaceRecEmbeddingMeta;

/**
 * GstFaceRecEmbeddingMeta:
 * @meta: parent #GstMeta
 * @roi_id: id of the GstVideoRegionOfInterestMeta (face) this embedding belongs to
 * @embedder_id: which network produced it ("faceapi-resnet-128", ...)
 * @dim: number of floats in @data
 * @data: the embedding (owned by the meta)
 */
struct _GstFaceRecEmbeddingMeta {
  GstMeta meta;
  gint roi_id;
  gchar *embedder_id;
  guint dim;
  gfloat *data;
};

GType gst_facerec_embedding_meta_api_get_type (void);
#define GST_FACEREC_EMBEDDING_META_API_TYPE (gst_facerec_embedding_meta_api_get_type ())
const GstMetaInfo *gst_facerec_embedding_meta_get_info (void);
#define GST_FACEREC_EMBEDDING_META_INFO (gst_facerec_embedding_meta_get_info ())

/* Copies @data (dim floats). */
GstFaceRecEmbeddingMeta *gst_buffer_add_facerec_embedding_meta (GstBuffer * buffer,
    gint roi_id, const gchar * embedder_id, const gfloat * data, guint dim);

/* The embedding attached for the face ROI @roi_id, or NULL. */
GstFaceRecEmbeddingMeta *gst_buffer_get_facerec_embedding_meta (GstBuffer * buffer,
    gint roi_id);

/* Reads the "detection" params of a face ROI. @landmarks (may be NULL) receives
 * 10 values (x0,y0..x4,y4). Returns FALSE when the ROI has no detection params. */
gboolean gst_facerec_roi_get_detection (GstVideoRegionOfInterestMeta * roi,
    gdouble * confidence, gdouble landmarks[10]);

/* Reads the "recognition" params of a face ROI. @label (may be NULL) points into
 * the structure (valid while the meta lives) and is NULL when the face is unknown.
 * Returns FALSE when the ROI has not been through facerecognize. */
gboolean gst_facerec_roi_get_recognition (GstVideoRegionOfInterestMeta * roi,
    const gchar ** label, gint * label_id, gdouble * score, gdouble * distance);

/* Reads the "tracking" params of a face ROI (any pointer may be NULL). Returns
 * FALSE when the face is not tracked. */
gboolean gst_facerec_roi_get_tracking (GstVideoRegionOfInterestMeta * roi,
    guint64 * id, GstClockTime * first_seen, GstClockTime * last_seen, guint * age);

/* Whether the face was detected on this frame (the "detection" params' fresh
 * field; TRUE when absent). FALSE without detection params. */
gboolean gst_facerec_roi_detection_is_fresh (GstVideoRegionOfInterestMeta * roi);

/* Whether the "recognition" params were made on this frame (TRUE) or carried by
 * the face's track from an earlier frame (FALSE). FALSE without recognition. */
gboolean gst_facerec_roi_recognition_is_fresh (GstVideoRegionOfInterestMeta * roi);

/* TRUE if @roi is a face ROI ("face" roi_type). */
gboolean gst_facerec_roi_is_face (GstVideoRegionOfInterestMeta * roi);

/* ---- Iterating over the faces of a buffer ---- */

/* The next face ROI of @buffer (ROIs of other types are skipped), in meta order;
 * NULL at the end. Start with *@state = NULL, like gst_buffer_iterate_meta():
 *
 *   gpointer state = NULL;
 *   GstVideoRegionOfInterestMeta *roi;
 *   while ((roi = gst_buffer_iterate_facerec_faces (buffer, &state))) { ... }
 */
GstVideoRegionOfInterestMeta *gst_buffer_iterate_facerec_faces (GstBuffer * buffer,
    gpointer * state);

/* Called for each face ROI; return FALSE to stop. */
typedef gboolean (*GstFaceRecFaceFunc) (GstBuffer * buffer,
    GstVideoRegionOfInterestMeta * roi, gpointer user_data);

/* Calls @func for every face ROI of @buffer, in meta order. */
void gst_buffer_foreach_facerec_face (GstBuffer * buffer, GstFaceRecFaceFunc func,
    gpointer user_data);

/* ---- Writing (the elements write through these; so can other detectors) ---- */

/* Adds a face ROI (roi_type "face", id = the buffer's largest ROI id + 1) with a
 * "detection" structure: @confidence, @landmarks (10 values x0,y0..x4,y4 in frame
 * pixels; NULL: no "landmarks" field) and @fresh. Returns the new meta. */
GstVideoRegionOfInterestMeta *gst_buffer_add_facerec_face (GstBuffer * buffer,
    guint x, guint y, guint w, guint h, gdouble confidence,
    const gdouble landmarks[10], gboolean fresh);

/* Sets the "coarse-landmarks" field of a face ROI's "detection" structure (10
 * values, like landmarks) in place: the buffer must be writable. FALSE when the ROI
 * has no detection params. */
gboolean gst_facerec_roi_set_coarse_landmarks (GstVideoRegionOfInterestMeta * roi,
    const gdouble landmarks[10]);

/* Reads the "coarse-landmarks" field; FALSE when absent or malformed (then
 * @landmarks may have been partly written). */
gboolean gst_facerec_roi_get_coarse_landmarks (GstVideoRegionOfInterestMeta * roi,
    gdouble landmarks[10]);

/* Sets (adds or replaces) the "recognition" structure of a face ROI. @label NULL:
 * unknown (known=FALSE, label-id -1, no "label" field). fresh=TRUE. */
void gst_facerec_roi_set_recognition (GstVideoRegionOfInterestMeta * roi,
    const gchar * label, gint label_id, gdouble score, gdouble distance);

/* Same, with the "fresh" field given. */
void gst_facerec_roi_set_recognition_full (GstVideoRegionOfInterestMeta * roi,
    const gchar * label, gint label_id, gdouble score, gdouble distance,
    gboolean fresh);

/* Sets (adds or replaces) the "tracking" structure of a face ROI. */
void gst_facerec_roi_set_tracking (GstVideoRegionOfInterestMeta * roi,
    guint64 id, GstClockTime first_seen, GstClockTime last_seen, guint age);

/* Attaches the embedding of face ROI @roi_id, replacing one already attached for
 * that ROI (a second facerecognize). Copies @data. */
GstFaceRecEmbeddingMeta *gst_buffer_set_facerec_embedding_meta (GstBuffer * buffer,
    gint roi_id, const gchar * embedder_id, const gfloat * data, guint dim);

G_END_DECLS

#endif /* __GST_FACEREC_FACEMETA_H__ */
