/* luma-tenant-item.c: one tenant of the superadmin's list, for list models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-tenant-item.h"

struct _LumaTenantItem
{
  GObject            parent_instance;

  LumaTenantSummary *summary;
};

G_DEFINE_FINAL_TYPE (LumaTenantItem, luma_tenant_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_EXTERNAL_ID,
  PROP_TENANT_NAME,
  PROP_LICENSE_TYPE,
  PROP_TOTAL_PURCHASE,
  PROP_CONSUMED,
  PROP_AVAILABLE,
  PROP_PERCENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

double
luma_tenant_item_get_percent (LumaTenantItem *self)
{
  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (self), 0);

  if (self->summary->total_purchase <= 0)
    return self->summary->consumed > 0 ? 100.0 : 0.0;
  return 100.0 * self->summary->consumed / self->summary->total_purchase;
}

static void
luma_tenant_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  LumaTenantItem *self = LUMA_TENANT_ITEM (object);
  const LumaTenantSummary *s = self->summary;

  switch (prop_id)
    {
    case PROP_EXTERNAL_ID:
      g_value_set_string (value, s->external_id);
      break;
    case PROP_TENANT_NAME:
      g_value_set_string (value, s->tenant_name != NULL ? s->tenant_name : s->external_id);
      break;
    case PROP_LICENSE_TYPE:
      g_value_set_string (value, luma_license_type_to_display (s->license_type));
      break;
    case PROP_TOTAL_PURCHASE:
      g_value_set_int64 (value, s->total_purchase);
      break;
    case PROP_CONSUMED:
      g_value_set_int64 (value, s->consumed);
      break;
    case PROP_AVAILABLE:
      g_value_set_int64 (value, s->available);
      break;
    case PROP_PERCENT:
      g_value_set_double (value, luma_tenant_item_get_percent (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_tenant_item_finalize (GObject *object)
{
  LumaTenantItem *self = LUMA_TENANT_ITEM (object);

  g_clear_pointer (&self->summary, luma_tenant_summary_free);

  G_OBJECT_CLASS (luma_tenant_item_parent_class)->finalize (object);
}

static void
luma_tenant_item_class_init (LumaTenantItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = luma_tenant_item_finalize;
  object_class->get_property = luma_tenant_item_get_property;

  properties[PROP_EXTERNAL_ID] = g_param_spec_string ("external-id", NULL, NULL, NULL, flags);
  properties[PROP_TENANT_NAME] = g_param_spec_string ("tenant-name", NULL, NULL, NULL, flags);
  properties[PROP_LICENSE_TYPE] = g_param_spec_string ("license-type", NULL, NULL, NULL, flags);
  properties[PROP_TOTAL_PURCHASE] = g_param_spec_int64 ("total-purchase", NULL, NULL,
                                                        0, G_MAXINT64, 0, flags);
  properties[PROP_CONSUMED] = g_param_spec_int64 ("consumed", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_AVAILABLE] = g_param_spec_int64 ("available", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_PERCENT] = g_param_spec_double ("percent", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
luma_tenant_item_init (LumaTenantItem *self)
{
}

LumaTenantItem *
luma_tenant_item_new (const LumaTenantSummary *summary)
{
  LumaTenantItem *self;

  g_return_val_if_fail (summary != NULL, NULL);

  self = g_object_new (LUMA_TYPE_TENANT_ITEM, NULL);
  self->summary = luma_tenant_summary_copy (summary);

  return self;
}

const LumaTenantSummary *
luma_tenant_item_get_summary (LumaTenantItem *self)
{
  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (self), NULL);
  return self->summary;
}
