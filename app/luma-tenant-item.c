/* luma-tenant-item.c: one tenant of the superadmin's board, for list models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-tenant-item.h"

struct _LumaTenantItem
{
  GObject            parent_instance;

  LumaTenantSummary *summary;
  LumaCapacity       capacity;
  double             days_left;    /* negative: unknown */
  char              *search_key;
  char              *name_key;     /* collation keys, made on the first sort by them */
  char              *type_key;
};

G_DEFINE_FINAL_TYPE (LumaTenantItem, luma_tenant_item, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

double
luma_tenant_item_get_percent (LumaTenantItem *self)
{
  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (self), 0);

  if (self->summary->total_purchase <= 0)
    return self->summary->consumed > 0 ? 100.0 : 0.0;
  return 100.0 * self->summary->consumed / self->summary->total_purchase;
}

static void
luma_tenant_item_finalize (GObject *object)
{
  LumaTenantItem *self = LUMA_TENANT_ITEM (object);

  g_clear_pointer (&self->summary, luma_tenant_summary_free);
  g_clear_pointer (&self->search_key, g_free);
  g_clear_pointer (&self->name_key, g_free);
  g_clear_pointer (&self->type_key, g_free);

  G_OBJECT_CLASS (luma_tenant_item_parent_class)->finalize (object);
}

static void
luma_tenant_item_class_init (LumaTenantItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = luma_tenant_item_finalize;

  /**
   * LumaTenantItem::changed:
   *
   * The item shows another tenant now (see luma_tenant_item_assign()).
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
luma_tenant_item_init (LumaTenantItem *self)
{
}

LumaTenantItem *
luma_tenant_item_new_at (const LumaTenantSummary     *summary,
                         const LumaConsumptionSample *oldest,
                         gint64                       now)
{
  LumaTenantItem *self;
  g_autofree char *key = NULL;

  g_return_val_if_fail (summary != NULL, NULL);

  self = g_object_new (LUMA_TYPE_TENANT_ITEM, NULL);
  self->summary = luma_tenant_summary_copy (summary);
  self->capacity = luma_capacity_of (summary->consumed, summary->total_purchase);
  self->days_left = luma_capacity_days_left (summary, oldest, now);
  key = g_strconcat (summary->tenant_name != NULL ? summary->tenant_name : "", "\n",
                     summary->external_id != NULL ? summary->external_id : "", NULL);
  self->search_key = g_utf8_casefold (key, -1);

  return self;
}

/* Makes @self hold what @from holds; the caller emits ::changed. */
void
luma_tenant_item_assign (LumaTenantItem *self,
                         LumaTenantItem *from)
{
  g_return_if_fail (LUMA_IS_TENANT_ITEM (self));
  g_return_if_fail (LUMA_IS_TENANT_ITEM (from));

  if (self == from)
    return;
  g_clear_pointer (&self->summary, luma_tenant_summary_free);
  self->summary = luma_tenant_summary_copy (from->summary);
  self->capacity = from->capacity;
  self->days_left = from->days_left;
  g_free (self->search_key);
  self->search_key = g_strdup (from->search_key);
  g_free (self->name_key);
  self->name_key = g_strdup (from->name_key);
  g_free (self->type_key);
  self->type_key = g_strdup (from->type_key);
}

LumaTenantItem *
luma_tenant_item_copy (LumaTenantItem *from)
{
  LumaTenantItem *self;

  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (from), NULL);

  self = g_object_new (LUMA_TYPE_TENANT_ITEM, NULL);
  luma_tenant_item_assign (self, from);
  return self;
}

void
luma_tenant_item_emit_changed (LumaTenantItem *self)
{
  g_return_if_fail (LUMA_IS_TENANT_ITEM (self));
  g_signal_emit (self, signals[CHANGED], 0);
}

const LumaTenantSummary *
luma_tenant_item_get_summary (LumaTenantItem *self)
{
  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (self), NULL);
  return self->summary;
}

LumaCapacity
luma_tenant_item_get_capacity (LumaTenantItem *self)
{
  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (self), LUMA_CAPACITY_OK);
  return self->capacity;
}

double
luma_tenant_item_get_days_left (LumaTenantItem *self)
{
  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (self), -1);
  return self->days_left;
}

const char *
luma_tenant_item_get_search_key (LumaTenantItem *self)
{
  g_return_val_if_fail (LUMA_IS_TENANT_ITEM (self), "");
  return self->search_key;
}

static int
compare_days (double a,
              double b)
{
  /* Unknown (negative) after every known number. */
  if ((a < 0) != (b < 0))
    return a < 0 ? 1 : -1;
  return (a > b) - (a < b);
}

/* Called for every pair a sort compares: field reads only. */
int
luma_tenant_item_compare_risk (gconstpointer a,
                               gconstpointer b,
                               gpointer      user_data)
{
  const LumaTenantItem *x = a;
  const LumaTenantItem *y = b;
  int c;

  if (x->capacity != y->capacity)
    return x->capacity > y->capacity ? -1 : 1;
  if ((c = compare_days (x->days_left, y->days_left)) != 0)
    return c;
  c = strcmp (x->summary->external_id, y->summary->external_id);
  return (c > 0) - (c < 0);
}

static const char *
name_key (LumaTenantItem *self)
{
  if (self->name_key == NULL)
    {
      const LumaTenantSummary *s = self->summary;

      self->name_key = g_utf8_collate_key (s->tenant_name != NULL && *s->tenant_name != '\0'
                                           ? s->tenant_name : s->external_id, -1);
    }
  return self->name_key;
}

static const char *
type_key (LumaTenantItem *self)
{
  if (self->type_key == NULL)
    self->type_key = g_utf8_collate_key (luma_license_type_to_display (self->summary->license_type), -1);
  return self->type_key;
}

static int
sign (int c)
{
  return (c > 0) - (c < 0);
}

/* Known first, then never, then unknown: the ranks of LumaLastRefill turned round. */
static int
refill_rank (const LumaTenantSummary *s)
{
  switch (s->last_refill)
    {
    case LUMA_LAST_REFILL_KNOWN:
      return 0;
    case LUMA_LAST_REFILL_NEVER:
      return 1;
    case LUMA_LAST_REFILL_UNKNOWN:
    default:
      return 2;
    }
}

static int
compare_refills (const LumaTenantSummary *x,
                 const LumaTenantSummary *y,
                 gboolean                 descending)
{
  int rx = refill_rank (x), ry = refill_rank (y);

  /* Turned round beforehand when the view will turn it round: last either way. */
  if (rx != ry)
    return (rx < ry ? -1 : 1) * (descending ? -1 : 1);
  if (rx != 0)
    return 0;
  if (x->last_refill_at != y->last_refill_at)
    return x->last_refill_at < y->last_refill_at ? -1 : 1;
  return (x->last_refill_change > y->last_refill_change) - (x->last_refill_change < y->last_refill_change);
}

int
luma_tenant_item_compare_last_refill (gconstpointer a,
                                      gconstpointer b,
                                      gpointer      user_data)
{
  const LumaTenantItem *x = a;
  const LumaTenantItem *y = b;
  const gboolean *descending = user_data;
  int c = compare_refills (x->summary, y->summary, descending != NULL && *descending);

  return c != 0 ? c : luma_tenant_item_compare_risk (a, b, NULL);
}

/* Each column's order, then by risk; plain field reads, so a sort of
 * 10,000 items makes no property or collation calls per comparison. */
int
luma_tenant_item_compare_column (gconstpointer a,
                                 gconstpointer b,
                                 gpointer      user_data)
{
  LumaTenantItem *x = (LumaTenantItem *) a;
  LumaTenantItem *y = (LumaTenantItem *) b;
  int c = 0;

  switch ((LumaTenantColumn) GPOINTER_TO_INT (user_data))
    {
    case LUMA_TENANT_COLUMN_NAME:
      c = sign (strcmp (name_key (x), name_key (y)));
      break;
    case LUMA_TENANT_COLUMN_LICENSE_TYPE:
      c = sign (strcmp (type_key (x), type_key (y)));
      break;
    case LUMA_TENANT_COLUMN_USED:
      {
        double px = luma_tenant_item_get_percent (x), py = luma_tenant_item_get_percent (y);

        c = (px > py) - (px < py);
      }
      break;
    case LUMA_TENANT_COLUMN_END_DATE:
      c = (x->summary->end_date > y->summary->end_date) - (x->summary->end_date < y->summary->end_date);
      break;
    case LUMA_TENANT_COLUMN_DAYS_LEFT:
      c = compare_days (x->days_left, y->days_left);
      break;
    case LUMA_TENANT_COLUMN_LAST_REFILL:
      c = compare_refills (x->summary, y->summary, FALSE);
      break;
    case LUMA_TENANT_COLUMN_STATUS:
    default:
      break;
    }
  return c != 0 ? c : luma_tenant_item_compare_risk (a, b, NULL);
}
