/* sandbox-generate.c: deterministic records and transcripts of the sandbox
 *
 * Everything here is a pure function of the seed and a record number or id,
 * so the same command line gives the same data and transcripts need not be
 * stored.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sandbox-generate.h"
#include "sandbox-json.h"

#include <string.h>

const char * const sandbox_license_names[2] = { "SESSION", "USER" };
const char * const sandbox_initiated_names[2] = { "END_USER", "AGENT" };
const char * const sandbox_channel_names[SANDBOX_N_CHANNELS] = {
  "MS_TEAMS", "SKYPE_FOR_BUSINESS", "WEB_WIDGET", "SLACK", "WHATSAPP", "EMAIL",
};
const char * const sandbox_role_names[SANDBOX_N_ROLES] = {
  "Admin", "Developer", "Analyst", "Self-service", "Guest",
};
const char * const sandbox_status_names[2] = { "ACTIVE", "INACTIVE" };
const char * const sandbox_kind_names[4] = { "PURCHASE", "REFILL", "REMOVAL", "AUTO_REFILL" };

typedef struct
{
  const char *first;
  const char *last;
  const char *display;
  const char *login;
} Person;

static const Person people[] = {
  { "Zoë", "Müller", "Zoë Müller", "zoe.muller" },
  { "José", "Ñúñez", "José Ñúñez", "jose.nunez" },
  { "Łukasz", "Żółć", "Łukasz Żółć", "lukasz.zolc" },
  { "Søren", "Ærø", "Søren Ærø", "soren.aero" },
  { "伟", "李", "李 伟", "li.wei" },
  { "Ana", "O'Neil", "O'Neil, Ana", "ana.oneil" },
  { "Bud", "Smith", "\"Bud\" Smith", "bud.smith" },
  { "Björn", "Ångström", "Björn Ångström", "bjorn.angstrom" },
  { "Chloé", "Dubois", "Chloé Dubois", "chloe.dubois" },
  { "François", "Lefèvre", "Lefèvre, François", "francois.lefevre" },
  { "Ümit", "Yılmaz", "Ümit Yılmaz", "umit.yilmaz" },
  { "Ольга", "Иванова", "Ольга Иванова", "olga.ivanova" },
  { "Νίκος", "Παπαδόπουλος", "Νίκος Παπαδόπουλος", "nikos.papadopoulos" },
  { "Aoife", "Ní Bhriain", "Aoife Ní Bhriain", "aoife.nibhriain" },
  { "John", "Smith", "John Smith", "john.smith" },
  { "Mary", "Johnson", "Mary Johnson", "mary.johnson" },
  { "Priya", "Patel", "Priya Patel", "priya.patel" },
  { "Kwame", "Mensah", "Kwame Mensah", "kwame.mensah" },
  { "太郎", "山田", "山田 太郎", "taro.yamada" },
  { "Renée", "D'Arcy", "Renée D'Arcy", "renee.darcy" },
  { "Fatima", "Al-Sayed", "Fatima Al-Sayed", "fatima.alsayed" },
  { "Jürgen", "Groß", "Jürgen Groß", "juergen.gross" },
  { "", "", "=HYPERLINK(\"http://example.com\",\"click\")", "formula" },
  { "", "", "+1 555 0100", "phone.user" },
  { "", "", "-Dash", "dash" },
  { "", "", "@handle", "handle" },
  { "Robert", "Tables", "Robert'); DROP TABLE records;--", "bobby.tables" },
  { "Émilie", "", "Émilie", "emilie" },
};

static const char * const agents[] = {
  "Ana O'Neil", "Søren Ærø", "O'Neil, Ana", "\"Bud\" Smith", "José Ñúñez",
  "Li Wei", "Fatima Al-Sayed", "=SUM(A1:A9)", "Ingrid Bergström",
};

static const char * const user_texts[] = {
  "Hi, my VPN token expired",
  "How do I reset my password?",
  "Can you book a meeting room for 3 people, 2pm?",
  "Où est ma facture ?",
  "Mein Drucker druckt nicht",
  "The \"Export\" button is greyed out",
  "It's urgent, the CFO's laptop won't boot",
  "=1+1",
  "Thanks!",
  "Still not working…",
  "我的账户被锁定了",
  "ok",
};

static const char * const bot_texts[] = {
  "I can help with that.",
  "Let me look that up for you.",
  "Here is the article \"Resetting your password\".",
  "I'm handing you over to a colleague.",
  "Is there anything else I can do?",
  "Please confirm: yes / no",
};

static const char * const agent_texts[] = {
  "I've reset it for you.",
  "Hi, I'm taking over from the bot.",
  "Could you try again now?",
  "Done, you're all set.",
  "I'll open a ticket, ref #4471.",
};

static inline guint64
mix64 (guint64 z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void
sandbox_rng_init (SandboxRng *rng,
                  guint64     a,
                  guint64     b)
{
  rng->state = mix64 (a ^ mix64 (b));
}

guint64
sandbox_rng_next (SandboxRng *rng)
{
  rng->state += 0x9e3779b97f4a7c15ULL;
  return mix64 (rng->state);
}

double
sandbox_rng_double (SandboxRng *rng)
{
  return (sandbox_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

guint64
sandbox_hash_string (const char *text)
{
  guint64 h = 0xcbf29ce484222325ULL;

  for (const unsigned char *p = (const unsigned char *) text; *p != '\0'; p++)
    h = (h ^ *p) * 0x100000001b3ULL;
  return h;
}

int
sandbox_enum_lookup (const char * const *names,
                     guint               n_names,
                     const char         *value)
{
  if (value == NULL)
    return -1;
  for (guint i = 0; i < n_names; i++)
    if (strcmp (names[i], value) == 0)
      return i;
  return -1;
}

void
sandbox_scratch_init (SandboxScratch *scratch)
{
  scratch->rid[0] = '\0';
  scratch->user_name = g_string_sized_new (128);
  scratch->email = g_string_sized_new (128);
}

void
sandbox_scratch_clear (SandboxScratch *scratch)
{
  g_string_free (scratch->user_name, TRUE);
  g_string_free (scratch->email, TRUE);
}

static int
pick_weighted (guint64     r,
               const int  *weights,
               int         n)
{
  int total = 0;
  int x;

  for (int i = 0; i < n; i++)
    total += weights[i];
  x = r % total;
  for (int i = 0; i < n; i++)
    {
      if (x < weights[i])
        return i;
      x -= weights[i];
    }
  return n - 1;
}

/* Without printf: this runs a million times when seeding. */
static gsize
format_uint (char    *buf,
             guint64  value,
             guint    min_digits)
{
  char tmp[24];
  gsize n = 0;

  do
    {
      tmp[n++] = '0' + value % 10;
      value /= 10;
    }
  while (value > 0 || n < min_digits);
  for (gsize i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return n;
}

void
sandbox_generate_record (guint64          seed,
                         const char      *domain,
                         SandboxLicense   license,
                         gint64           number,
                         gint64           time,
                         SandboxScratch  *scratch,
                         SandboxRecord   *record)
{
  static const int channel_weights[] = { 35, 8, 25, 15, 10, 7 };
  static const int role_weights[] = { 10, 15, 20, 30, 25 };
  static const int conversation_weights[] = { 8, 37, 25, 15, 8, 4, 3 };
  SandboxRng rng;
  const Person *person;
  guint64 r;
  gboolean anonymous = FALSE;

  sandbox_rng_init (&rng, seed, (guint64) number);
  person = &people[sandbox_rng_next (&rng) % G_N_ELEMENTS (people)];

  memset (record, 0, sizeof *record);
  scratch->rid[0] = license == SANDBOX_LICENSE_SESSION ? 'S' : 'U';
  scratch->rid[1] = '-';
  format_uint (scratch->rid + 2, (guint64) number, 9);
  record->rid = scratch->rid;
  record->time = time;
  record->channel = pick_weighted (sandbox_rng_next (&rng), channel_weights, SANDBOX_N_CHANNELS);
  record->role = pick_weighted (sandbox_rng_next (&rng), role_weights, SANDBOX_N_ROLES);
  record->conversations = pick_weighted (sandbox_rng_next (&rng), conversation_weights, 7);

  g_string_truncate (scratch->user_name, 0);
  g_string_truncate (scratch->email, 0);

  r = sandbox_rng_next (&rng);
  if (license == SANDBOX_LICENSE_SESSION)
    {
      record->initiated = (r % 100) < 20 ? 1 : 0;
      if (record->initiated == 1 || (r / 100) % 100 < 25)
        record->agent_name = agents[(r / 10000) % G_N_ELEMENTS (agents)];
      anonymous = record->channel == 2 && (r / 1000000) % 100 < 30;
    }
  else
    {
      record->status = (r % 100) < 85 ? SANDBOX_STATUS_ACTIVE : SANDBOX_STATUS_INACTIVE;
      record->first_name = person->first;
      record->last_name = person->last;
    }

  if (anonymous)
    {
      g_string_append_printf (scratch->user_name, "Visitor %u",
                              (guint) (sandbox_rng_next (&rng) % 100000));
    }
  else
    {
      r = sandbox_rng_next (&rng);
      switch (r % 4)
        {
        case 0:
          if (license == SANDBOX_LICENSE_SESSION)
            {
              g_string_append (scratch->user_name, person->login);
              break;
            }
          G_GNUC_FALLTHROUGH;
        default:
          g_string_append (scratch->user_name, person->display);
          break;
        }
      g_string_append (scratch->email, person->login);
      if ((r >> 8) % 3 == 0)
        {
          char digits[24];
          gsize n = format_uint (digits, (r >> 16) % 1000, 1);

          g_string_append_len (scratch->email, digits, n);
        }
      g_string_append_c (scratch->email, '@');
      g_string_append (scratch->email, domain);
    }
  record->user_name = scratch->user_name->str;
  record->email = scratch->email->str;
}

static void
append_message (GString    *out,
                gboolean    first,
                const char *sender,
                const char *sender_name,
                gint64      sent_at,
                const char *text)
{
  if (!first)
    g_string_append_c (out, ',');
  g_string_append (out, "{\"sender\":");
  sandbox_json_append_string (out, sender);
  g_string_append (out, ",\"senderName\":");
  sandbox_json_append_string (out, sender_name);
  g_string_append (out, ",\"sentAt\":");
  sandbox_json_append_time (out, sent_at);
  g_string_append (out, ",\"text\":");
  sandbox_json_append_string (out, text);
  g_string_append_c (out, '}');
}

static const char * const tenant_stems[] = {
  "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent", "Tyrell",
  "Cyberdyne", "Wonka", "Nordlicht", "Café Müller", "Ærø Shipping", "Łódź Logistics",
  "Société Lumière", "Zürich Re", "Ñandú Foods", "Østfold Energi", "Kraków Steel",
  "O'Brien & Daughters", "\"Blue\" Harbour", "Smith, Jones", "Sakura Trading",
  "Ventura", "Pioneer", "Atlas", "Meridian", "Halcyon", "Bluebird", "Ironwood",
};

static const char * const tenant_suffixes[] = {
  "Corporation", "Ltd.", "GmbH", "S.A.", "AB", "Inc.", "Group", "Holding", "KG", "B.V.",
};

static const char * const tenant_units[] = {
  "", "", "", " Europe", " North America", " Labs", " Retail", " Services", " APAC",
};

void
sandbox_generate_tenant (guint64                 seed,
                         gint64                  number,
                         gint64                  count,
                         gint64                  now,
                         SandboxGeneratedTenant *tenant)
{
  static const int term_months[] = { 12, 12, 12, 12, 12, 12, 6, 24, 24, 12 };
  g_autoptr(GDateTime) today = g_date_time_new_from_unix_utc (now);
  SandboxRng rng;
  guint64 r;
  gint64 year, month, first, last;
  int months, ago, width = 1;
  double percent;

  sandbox_rng_init (&rng, seed ^ 0x7e4a47, (guint64) number);
  for (gint64 c = count; c >= 10; c /= 10)
    width++;
  g_snprintf (tenant->external_id, sizeof tenant->external_id, "t-%0*" G_GINT64_FORMAT,
              MAX (width, 4), number);

  g_string_truncate (tenant->name, 0);
  r = sandbox_rng_next (&rng);
  g_string_append_printf (tenant->name, "%s %s%s",
                          tenant_stems[r % G_N_ELEMENTS (tenant_stems)],
                          tenant_suffixes[(r >> 16) % G_N_ELEMENTS (tenant_suffixes)],
                          tenant_units[(r >> 32) % G_N_ELEMENTS (tenant_units)]);

  tenant->license = sandbox_rng_next (&rng) % 10 < 7 ? SANDBOX_LICENSE_SESSION : SANDBOX_LICENSE_USER;

  /* Whole months, started up to a term ago: every term holds today. */
  months = term_months[sandbox_rng_next (&rng) % G_N_ELEMENTS (term_months)];
  ago = (int) (sandbox_rng_next (&rng) % (guint64) months);
  year = g_date_time_get_year (today);
  month = g_date_time_get_month (today) - 1 - ago;
  while (month < 0)
    month += 12, year--;
  first = sandbox_days_from_civil (year, month + 1, 1);
  month += months;
  year += month / 12;
  month %= 12;
  last = sandbox_days_from_civil (year, month + 1, 1);
  tenant->start = first * 86400;
  tenant->end = last * 86400 - 1;

  /* 10 to 640 licenses, now and then up to 90 % more: about 1.5 million
   * records for 10,000 tenants, seeded in a few seconds. */
  tenant->licenses = (gint64) 10 << (sandbox_rng_next (&rng) % 7);
  r = sandbox_rng_next (&rng);
  if (r % 4 == 0)
    tenant->licenses += tenant->licenses * (gint64) ((r >> 8) % 10) / 10;

  /* About half comfortable, a quarter near the thresholds, a quarter at or past the total. */
  r = sandbox_rng_next (&rng);
  switch (r % 8)
    {
    case 0: case 1: case 2: case 3:
      percent = sandbox_rng_double (&rng) * 75.0;
      break;
    case 4: case 5:
      percent = 75.0 + sandbox_rng_double (&rng) * 25.0;
      break;
    case 6:
      percent = 100.0;
      break;
    default:
      percent = 100.0 + sandbox_rng_double (&rng) * 20.0;
      break;
    }
  tenant->records = (gint64) (tenant->licenses * percent / 100.0 + 0.5);
}

/* The time between the starts of two conversations of @record. */
static gint64
conversation_slot (SandboxLicense       license,
                   const SandboxRecord *record,
                   gint64               session_minutes)
{
  return license == SANDBOX_LICENSE_SESSION
         ? MAX (60, session_minutes * 60 / MAX (record->conversations, 1))
         : 3 * 86400;
}

/* Starts conversation @k (1-based) of @record: seeds @rng for it, draws a
 * user's channel and agent into *@pick, and returns its start. The
 * transcripts and lastConversationOn both date conversations here. */
static gint64
conversation_begin (SandboxRng          *rng,
                    guint64              seed,
                    guint64              rid_hash,
                    SandboxLicense       license,
                    const SandboxRecord *record,
                    gint64               slot,
                    gint64               k,
                    guint64             *pick)
{
  sandbox_rng_init (rng, seed ^ rid_hash, (guint64) k);
  *pick = license == SANDBOX_LICENSE_USER ? sandbox_rng_next (rng) : 0;
  return record->time + (k - 1) * slot + (gint64) (sandbox_rng_next (rng) % (guint64) MAX (1, slot / 4));
}

gboolean
sandbox_last_conversation_on (guint64              seed,
                              SandboxLicense       license,
                              const SandboxRecord *record,
                              gint64               session_minutes,
                              gint64              *out)
{
  SandboxRng rng;
  guint64 pick;

  if (record->conversations <= 0)
    return FALSE;
  *out = conversation_begin (&rng, seed, sandbox_hash_string (record->rid), license, record,
                             conversation_slot (license, record, session_minutes),
                             record->conversations, &pick);
  return TRUE;
}

void
sandbox_generate_conversations (GString             *out,
                                guint64              seed,
                                SandboxLicense       license,
                                const SandboxRecord *record,
                                gint64               session_minutes)
{
  guint64 rid_hash = sandbox_hash_string (record->rid);
  const char *short_id = record->rid;
  g_autofree char *hashed_id = NULL;
  gint64 n = record->conversations;
  gint64 slot;

  if ((g_str_has_prefix (short_id, "S-") || g_str_has_prefix (short_id, "U-")))
    short_id += 2;
  if (strlen (short_id) > 56)
    short_id = hashed_id = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", rid_hash);

  slot = conversation_slot (license, record, session_minutes);

  g_string_append_c (out, '[');
  for (gint64 k = 1; k <= n; k++)
    {
      SandboxRng rng;
      g_autofree char *conversation_id = g_strdup_printf ("C-%s-%" G_GINT64_FORMAT, short_id, k);
      const char *agent = record->agent_name;
      int channel = record->channel;
      guint64 pick;
      gint64 t;
      guint n_messages;

      t = conversation_begin (&rng, seed, rid_hash, license, record, slot, k, &pick);
      if (license == SANDBOX_LICENSE_USER)
        {
          channel = pick % SANDBOX_N_CHANNELS;
          agent = (pick / 8) % 3 == 0 ? agents[(pick / 64) % G_N_ELEMENTS (agents)] : NULL;
        }
      n_messages = 2 + sandbox_rng_next (&rng) % 11;

      if (k > 1)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"conversationId\":");
      sandbox_json_append_string (out, conversation_id);
      g_string_append (out, ",\"sessionId\":");
      sandbox_json_append_string (out, license == SANDBOX_LICENSE_SESSION ? record->rid : NULL);
      g_string_append (out, ",\"userId\":");
      sandbox_json_append_string (out, license == SANDBOX_LICENSE_USER ? record->rid : NULL);
      g_string_append (out, ",\"channel\":");
      sandbox_json_append_string (out, sandbox_channel_names[channel]);
      g_string_append (out, ",\"startedOn\":");
      sandbox_json_append_time (out, t);
      g_string_append (out, ",\"messages\":[");

      for (guint i = 0; i < n_messages; i++)
        {
          guint64 r = sandbox_rng_next (&rng);

          if (i % 2 == 0)
            append_message (out, i == 0, "USER", record->user_name, t,
                            user_texts[r % G_N_ELEMENTS (user_texts)]);
          else if (agent != NULL && i >= n_messages / 2)
            append_message (out, FALSE, "AGENT", agent, t,
                            agent_texts[r % G_N_ELEMENTS (agent_texts)]);
          else
            append_message (out, FALSE, "BOT", "Luma", t,
                            bot_texts[r % G_N_ELEMENTS (bot_texts)]);
          t += 2 + (gint64) ((r >> 32) % 90);
        }
      g_string_append (out, "]}");
    }
  g_string_append_c (out, ']');
}
