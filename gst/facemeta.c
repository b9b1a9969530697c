/* gst-facerec: public metadata API (see facemeta.h)
 *
 * SPDX-License-Identifier: MIT
 */
#include "facemeta.h"

#include <string.h>

/* ---------------------------------------------------------------------------
 * GstFaceRecEmbeddingMeta
 * ------------------------------------------------------------------------- */

GType
gst_facerec_embedding_meta_api_get_type (void)
{
  static GType type = 0;
  /* "video": tied to video content, kept by videoconvert/videoscale; no "size"
   * or "orientation" tag since the embedding does not depend on geometry. */
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR, NULL };

  if (g_once_init_enter (&type)) {
    GType _type = gst_meta_api_type_register ("GstFaceRecEmbeddingMetaAPI", tags);
    g_once_init_leave (&type, _type);
  }
  return type;
}

static gboolean
gst_facerec_embedding_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstFaceRecEmbeddingMeta *emeta = (GstFaceRecEmbeddingMeta *) meta;

  (void) params;
  (void) buffer;
  emeta->roi_id = 0;
  emeta->embedder_id = NULL;
  emeta->dim = 0;
  emeta->data = NULL;
  return TRUE;
}

static void
gst_facerec_embedding_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstFaceRecEmbeddingMeta *emeta = (GstFaceRecEmbeddingMeta *) meta;

  (void) buffer;
  g_clear_pointer (&emeta->embedder_id, g_free);
  g_clear_pointer (&emeta->data, g_free);
  emeta->dim = 0;
}

static gboolean
gst_facerec_embedding_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstFaceRecEmbeddingMeta *emeta = (GstFaceRecEmbeddingMeta *) meta;

  (void) buffer;
  (void) data;

  /* The embedding describes the face, not its pixels' geometry: keep it on
   * copies and on scaling (the ROI id is preserved by the ROI meta's own
   * transform). Other transforms drop it. */
  if (GST_META_TRANSFORM_IS_COPY (type) ||
      type == gst_video_meta_transform_scale_get_quark ()) {
    if (gst_buffer_get_facerec_embedding_meta (dest, emeta->roi_id) != NULL)
      return TRUE;              /* already there (e.g. a second copy pass) */
    return gst_buffer_add_facerec_embedding_meta (dest, emeta->roi_id,
        emeta->embedder_id, emeta->data, emeta->dim) != NULL;
  }
  return FALSE;
}

const GstMetaInfo *
gst_facerec_embedding_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_FACEREC_EMBEDDING_META_API_TYPE,
        "GstFaceRecEmbeddingMeta", sizeof (GstFaceRecEmbeddingMeta),
        gst_facerec_embedding_meta_init,
        gst_facerec_embedding_meta_free,
        gst_facerec_embedding_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

GstFaceRecEmbeddingMeta *
gst_buffer_add_facerec_embedding_meta (GstBuffer * buffer, gint roi_id,
    const gchar * embedder_id, const gfloat * data, guint dim)
{
  GstFaceRecEmbeddingMeta *emeta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (data != NULL || dim == 0, NULL);

  emeta = (GstFaceRecEmbeddingMeta *) gst_buffer_add_meta (buffer,
      GST_FACEREC_EMBEDDING_META_INFO, NULL);
  if (emeta == NULL)
    return NULL;

  emeta->roi_id = roi_id;
  emeta->embedder_id = g_strdup (embedder_id ? embedder_id : "");
  emeta->dim = dim;
  emeta->data = dim > 0 ? (gfloat *) g_memdup2 (data, sizeof (gfloat) * dim) : NULL;
  return emeta;
}

GstFaceRecEmbeddingMeta *
gst_buffer_get_facerec_embedding_meta (GstBuffer * buffer, gint roi_id)
{
  gpointer state = NULL;
  GstMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_FACEREC_EMBEDDING_META_API_TYPE)) != NULL) {
    GstFaceRecEmbeddingMeta *emeta = (GstFaceRecEmbeddingMeta *) meta;
    if (emeta->roi_id == roi_id)
      return emeta;
  }
  return NULL;
}

/* ---------------------------------------------------------------------------
 * ROI helpers
 * ------------------------------------------------------------------------- */

gboolean
gst_facerec_roi_is_face (GstVideoRegionOfInterestMeta * roi)
{
  g_return_val_if_fail (roi != NULL, FALSE);
  return roi->roi_type == g_quark_from_static_string (GST_FACEREC_ROI_TYPE);
}

static gboolean
get_double_field (const GstStructure * s, const gchar * name, gdouble * out)
{
  const GValue *v = gst_structure_get_value (s, name);

  if (v == NULL)
    return FALSE;
  if (G_VALUE_HOLDS_DOUBLE (v)) {
    *out = g_value_get_double (v);
    return TRUE;
  }
  if (G_VALUE_HOLDS_FLOAT (v)) {
    *out = g_value_get_float (v);
    return TRUE;
  }
  if (G_VALUE_HOLDS_INT (v)) {
    *out = g_value_get_int (v);
    return TRUE;
  }
  return FALSE;
}

/* Reads a field of 10 numbers (x0,y0..x4,y4) into @out; FALSE when it is absent or
 * malformed. */
static gboolean
get_points_field (const GstStructure * s, const gchar * name, gdouble out[10])
{
  const GValue *arr = gst_structure_get_value (s, name);
  guint i, n = 0;

  if (arr != NULL && GST_VALUE_HOLDS_ARRAY (arr))
    n = gst_value_array_get_size (arr);
  if (n != 2 * GST_FACEREC_NUM_LANDMARKS)
    return FALSE;
  for (i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value (arr, i);
    if (G_VALUE_HOLDS_DOUBLE (v))
      out[i] = g_value_get_double (v);
    else if (G_VALUE_HOLDS_FLOAT (v))
      out[i] = g_value_get_float (v);
    else if (G_VALUE_HOLDS_INT (v))
      out[i] = g_value_get_int (v);
    else
      return FALSE;
  }
  return TRUE;
}

/* Sets a field of 10 doubles (x0,y0..x4,y4). */
static void
set_points_field (GstStructure * s, const gchar * name, const gdouble values[10])
{
  GValue arr = G_VALUE_INIT;
  guint i;

  gst_value_array_init (&arr, 2 * GST_FACEREC_NUM_LANDMARKS);
  for (i = 0; i < 2 * GST_FACEREC_NUM_LANDMARKS; i++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, values[i]);
    gst_value_array_append_and_take_value (&arr, &v);
  }
  gst_structure_take_value (s, name, &arr);
}

gboolean
gst_facerec_roi_get_detection (GstVideoRegionOfInterestMeta * roi,
    gdouble * confidence, gdouble landmarks[10])
{
  GstStructure *s;
  gdouble conf = 0.0;

  g_return_val_if_fail (roi != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi, GST_FACEREC_DETECTION);
  if (s == NULL)
    return FALSE;

  if (!get_double_field (s, "confidence", &conf))
    conf = 0.0;
  if (confidence)
    *confidence = conf;

  if (landmarks && !get_points_field (s, "landmarks", landmarks))
    return FALSE;
  return TRUE;
}

gboolean
gst_facerec_roi_get_recognition (GstVideoRegionOfInterestMeta * roi,
    const gchar ** label, gint * label_id, gdouble * score, gdouble * distance)
{
  GstStructure *s;
  gint id = -1;
  gboolean known = FALSE;
  gdouble d;

  g_return_val_if_fail (roi != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi, GST_FACEREC_RECOGNITION);
  if (s == NULL)
    return FALSE;

  if (!gst_structure_get_int (s, "label-id", &id))
    id = -1;
  if (!gst_structure_get_boolean (s, "known", &known))
    known = id >= 0;

  if (label) {
    const gchar *l = known ? gst_structure_get_string (s, "label") : NULL;
    *label = l;
  }
  if (label_id)
    *label_id = known ? id : -1;
  if (score)
    *score = get_double_field (s, "score", &d) ? d : 0.0;
  if (distance)
    *distance = get_double_field (s, "distance", &d) ? d : 0.0;
  return TRUE;
}

/* ---------------------------------------------------------------------------
 * Iteration
 * ------------------------------------------------------------------------- */

GstVideoRegionOfInterestMeta *
gst_buffer_iterate_facerec_faces (GstBuffer * buffer, gpointer * state)
{
  GstMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (state != NULL, NULL);

  while ((meta = gst_buffer_iterate_meta_filtered (buffer, state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) != NULL) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    if (gst_facerec_roi_is_face (roi))
      return roi;
  }
  return NULL;
}

void
gst_buffer_foreach_facerec_face (GstBuffer * buffer, GstFaceRecFaceFunc func,
    gpointer user_data)
{
  gpointer state = NULL;
  GstVideoRegionOfInterestMeta *roi;

  g_return_if_fail (GST_IS_BUFFER (buffer));
  g_return_if_fail (func != NULL);

  while ((roi = gst_buffer_iterate_facerec_faces (buffer, &state)) != NULL) {
    if (!func (buffer, roi, user_data))
      break;
  }
}

/* ---------------------------------------------------------------------------
 * Writers
 * ------------------------------------------------------------------------- */

/* Replaces the param structure named like @s on @roi, or adds it. Takes @s. */
static void
set_roi_param (GstVideoRegionOfInterestMeta * roi, GstStructure * s)
{
  GList *l;

  for (l = roi->params; l != NULL; l = l->next) {
    GstStructure *old = (GstStructure *) l->data;
    if (gst_structure_has_name (old, gst_structure_get_name (s))) {
      gst_structure_free (old);
      l->data = s;
      return;
    }
  }
  gst_video_region_of_interest_meta_add_param (roi, s);
}

static gint
max_roi_id (GstBuffer * buffer)
{
  gpointer state = NULL;
  GstMeta *meta;
  gint max_id = 0;

  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) != NULL)
    max_id = MAX (max_id, ((GstVideoRegionOfInterestMeta *) meta)->id);
  return max_id;
}

GstVideoRegionOfInterestMeta *
gst_buffer_add_facerec_face (GstBuffer * buffer, guint x, guint y, guint w,
    guint h, gdouble confidence, const gdouble landmarks[10], gboolean fresh)
{
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;
  gint id;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  id = max_roi_id (buffer) + 1;
  roi = gst_buffer_add_video_region_of_interest_meta (buffer,
      GST_FACEREC_ROI_TYPE, x, y, w, h);
  if (roi == NULL)
    return NULL;
  roi->id = id;

  s = gst_structure_new (GST_FACEREC_DETECTION, "confidence", G_TYPE_DOUBLE,
      confidence, "fresh", G_TYPE_BOOLEAN, fresh ? TRUE : FALSE, NULL);
  if (landmarks != NULL)
    set_points_field (s, "landmarks", landmarks);
  gst_video_region_of_interest_meta_add_param (roi, s);
  return roi;
}

gboolean
gst_facerec_roi_set_coarse_landmarks (GstVideoRegionOfInterestMeta * roi,
    const gdouble landmarks[10])
{
  GstStructure *s;

  g_return_val_if_fail (roi != NULL && landmarks != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi, GST_FACEREC_DETECTION);
  if (s == NULL)
    return FALSE;
  set_points_field (s, "coarse-landmarks", landmarks);
  return TRUE;
}

gboolean
gst_facerec_roi_get_coarse_landmarks (GstVideoRegionOfInterestMeta * roi,
    gdouble landmarks[10])
{
  GstStructure *s;

  g_return_val_if_fail (roi != NULL && landmarks != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi, GST_FACEREC_DETECTION);
  return s != NULL && get_points_field (s, "coarse-landmarks", landmarks);
}

void
gst_facerec_roi_set_recognition_full (GstVideoRegionOfInterestMeta * roi,
    const gchar * label, gint label_id, gdouble score, gdouble distance,
    gboolean fresh)
{
  GstStructure *s;

  g_return_if_fail (roi != NULL);

  s = gst_structure_new (GST_FACEREC_RECOGNITION, "label-id", G_TYPE_INT,
      label != NULL ? label_id : -1, "known", G_TYPE_BOOLEAN, label != NULL,
      "score", G_TYPE_DOUBLE, score, "distance", G_TYPE_DOUBLE, distance,
      "fresh", G_TYPE_BOOLEAN, fresh ? TRUE : FALSE, NULL);
  if (label != NULL)
    gst_structure_set (s, "label", G_TYPE_STRING, label, NULL);
  set_roi_param (roi, s);
}

void
gst_facerec_roi_set_recognition (GstVideoRegionOfInterestMeta * roi,
    const gchar * label, gint label_id, gdouble score, gdouble distance)
{
  gst_facerec_roi_set_recognition_full (roi, label, label_id, score, distance,
      TRUE);
}

void
gst_facerec_roi_set_tracking (GstVideoRegionOfInterestMeta * roi, guint64 id,
    GstClockTime first_seen, GstClockTime last_seen, guint age)
{
  g_return_if_fail (roi != NULL);

  set_roi_param (roi, gst_structure_new (GST_FACEREC_TRACKING, "id",
          G_TYPE_UINT64, id, "first-seen", G_TYPE_UINT64, first_seen,
          "last-seen", G_TYPE_UINT64, last_seen, "age", G_TYPE_UINT, age, NULL));
}

gboolean
gst_facerec_roi_get_tracking (GstVideoRegionOfInterestMeta * roi, guint64 * id,
    GstClockTime * first_seen, GstClockTime * last_seen, guint * age)
{
  GstStructure *s;
  guint64 v = 0;
  guint a = 0;

  g_return_val_if_fail (roi != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi, GST_FACEREC_TRACKING);
  if (s == NULL || !gst_structure_get_uint64 (s, "id", &v))
    return FALSE;
  if (id)
    *id = v;
  if (first_seen)
    *first_seen = gst_structure_get_uint64 (s, "first-seen", &v) ? v : GST_CLOCK_TIME_NONE;
  if (last_seen)
    *last_seen = gst_structure_get_uint64 (s, "last-seen", &v) ? v : GST_CLOCK_TIME_NONE;
  if (age)
    *age = gst_structure_get_uint (s, "age", &a) ? a : 0;
  return TRUE;
}

gboolean
gst_facerec_roi_recognition_is_fresh (GstVideoRegionOfInterestMeta * roi)
{
  GstStructure *s;
  gboolean fresh = TRUE;

  g_return_val_if_fail (roi != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi, GST_FACEREC_RECOGNITION);
  if (s == NULL)
    return FALSE;
  if (!gst_structure_get_boolean (s, "fresh", &fresh))
    fresh = TRUE;               /* written before tracking existed: every frame */
  return fresh;
}

GstFaceRecEmbeddingMeta *
gst_buffer_set_facerec_embedding_meta (GstBuffer * buffer, gint roi_id,
    const gchar * embedder_id, const gfloat * data, guint dim)
{
  GstFaceRecEmbeddingMeta *emeta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (data != NULL || dim == 0, NULL);

  emeta = gst_buffer_get_facerec_embedding_meta (buffer, roi_id);
  if (emeta == NULL)
    return gst_buffer_add_facerec_embedding_meta (buffer, roi_id, embedder_id,
        data, dim);
  g_free (emeta->data);
  g_free (emeta->embedder_id);
  emeta->embedder_id = g_strdup (embedder_id ? embedder_id : "");
  emeta->dim = dim;
  emeta->data = dim > 0 ? (gfloat *) g_memdup2 (data, sizeof (gfloat) * dim) : NULL;
  return emeta;
}

gboolean
gst_facerec_roi_detection_is_fresh (GstVideoRegionOfInterestMeta * roi)
{
  GstStructure *s;
  gboolean fresh = TRUE;

  g_return_val_if_fail (roi != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi, GST_FACEREC_DETECTION);
  if (s == NULL)
    return FALSE;
  if (!gst_structure_get_boolean (s, "fresh", &fresh))
    fresh = TRUE;
  return fresh;
}
