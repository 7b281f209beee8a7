#define G_LOG_DOMAIN "signet-account"

#include "signet-account.h"

#include <string.h>

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-secret-api.h"

/* The account real delivery uses: servers, user names and trusted
 * certificates from GSettings, passwords from the Secret Service. A password
 * never goes to GSettings: when no keyring answers, the user may give it for
 * this session only, and it stays in (non-pageable) memory.
 *
 * Delivery asks for passwords from its worker threads, where GSettings is
 * not to be read (its memory backend takes no lock): what they need of the
 * settings is copied, under the lock, whenever the settings change. */

/* Who a password belongs to: the keyring's attributes. */
typedef struct {
  SignetAccountProtocol protocol;
  char                 *host;
  guint                 port;
  char                 *user;
} Login;

struct _SignetAccount
{
  GObject     parent_instance;

  GSettings  *settings;
  GMutex      lock;
  GHashTable *session;    /* session_key () -> SecretValue */
  Login       logins[2];  /* by protocol, as the settings say */
  char       *identity;
};

G_DEFINE_FINAL_TYPE (SignetAccount, signet_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  const char *name;      /* as the keyring's "protocol" attribute */
  const char *display;   /* in messages; not translated */
  const char *host_key;
  const char *port_key;
  const char *security_key;
  const char *user_key;
} ProtocolKeys;

static const ProtocolKeys protocols[] = {
  [SIGNET_ACCOUNT_PROTOCOL_SMTP] = { "smtp", "SMTP", "smtp-host", "smtp-port", "smtp-security", "smtp-user" },
  [SIGNET_ACCOUNT_PROTOCOL_IMAP] = { "imap", "IMAP", "imap-host", "imap-port", "imap-security", "imap-user" },
};

#define PIN_PREFIX "sha256//"
#define MAX_PORT 65535

static void
signet_account_dispose (GObject *object)
{
  SignetAccount *self = SIGNET_ACCOUNT (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (signet_account_parent_class)->dispose (object);
}

static void login_clear (Login *login);
static void read_login (SignetAccount *self, SignetAccountProtocol protocol, Login *login);

static void
signet_account_finalize (GObject *object)
{
  SignetAccount *self = SIGNET_ACCOUNT (object);

  g_clear_pointer (&self->session, g_hash_table_unref);
  for (guint i = 0; i < G_N_ELEMENTS (self->logins); i++)
    login_clear (&self->logins[i]);
  g_free (self->identity);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (signet_account_parent_class)->finalize (object);
}

/* The copy that worker threads read. */
static void
copy_settings (SignetAccount *self)
{
  Login logins[G_N_ELEMENTS (self->logins)] = { { 0 } };
  char *identity = g_settings_get_string (self->settings, "identity");

  for (guint i = 0; i < G_N_ELEMENTS (logins); i++)
    read_login (self, i, &logins[i]);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < G_N_ELEMENTS (logins); i++)
    {
      login_clear (&self->logins[i]);
      self->logins[i] = logins[i];
    }
  g_free (self->identity);
  self->identity = identity;
  g_mutex_unlock (&self->lock);
}

static void
on_settings_changed (GSettings *settings, const char *key, gpointer user_data)
{
  copy_settings (user_data);
}

static void
signet_account_constructed (GObject *object)
{
  SignetAccount *self = SIGNET_ACCOUNT (object);

  G_OBJECT_CLASS (signet_account_parent_class)->constructed (object);
  /* Connected before the first read: GSettings may tell of changes only
   * to keys read since. */
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self, 0);
  copy_settings (self);
}

static void
signet_account_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetAccount *self = SIGNET_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_account_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetAccount *self = SIGNET_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_account_class_init (SignetAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = signet_account_constructed;
  object_class->dispose = signet_account_dispose;
  object_class->finalize = signet_account_finalize;
  object_class->get_property = signet_account_get_property;
  object_class->set_property = signet_account_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/* Not secret_value_unref itself: taking its address would open libsecret
 * with every account, before any password is needed. */
static void
free_value (gpointer value)
{
  secret_value_unref (value);
}

static void
signet_account_init (SignetAccount *self)
{
  g_mutex_init (&self->lock);
  self->session = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_value);
}

/* @settings: the application's settings (the schema with the smtp-* and
 * imap-* keys). */
SignetAccount *
signet_account_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  return g_object_new (SIGNET_TYPE_ACCOUNT, "settings", settings, NULL);
}

GSettings *
signet_account_get_settings (SignetAccount *self)
{
  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), NULL);
  return self->settings;
}

/* Settings */

static char *
get_string (SignetAccount *self, const char *key)
{
  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), NULL);
  return g_settings_get_string (self->settings, key);
}

static guint
get_port (SignetAccount *self, const char *key)
{
  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), 0);
  return g_settings_get_uint (self->settings, key);
}

static SignetAccountSecurity
get_security (SignetAccount *self, const char *key)
{
  g_autofree char *value = NULL;
  SignetAccountSecurity security = SIGNET_ACCOUNT_SECURITY_TLS;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), SIGNET_ACCOUNT_SECURITY_TLS);
  value = g_settings_get_string (self->settings, key);
  /* The schema's choices allow nothing else; were it ever to, the strictest
   * choice is the safe one. */
  if (!signet_account_security_from_string (value, &security))
    g_warning ("Unknown %s “%s”, using TLS", key, value);
  return security;
}

char *
signet_account_get_smtp_host (SignetAccount *self)
{
  return get_string (self, "smtp-host");
}

guint
signet_account_get_smtp_port (SignetAccount *self)
{
  return get_port (self, "smtp-port");
}

SignetAccountSecurity
signet_account_get_smtp_security (SignetAccount *self)
{
  return get_security (self, "smtp-security");
}

char *
signet_account_get_smtp_user (SignetAccount *self)
{
  return get_string (self, "smtp-user");
}

char *
signet_account_get_imap_host (SignetAccount *self)
{
  return get_string (self, "imap-host");
}

guint
signet_account_get_imap_port (SignetAccount *self)
{
  return get_port (self, "imap-port");
}

SignetAccountSecurity
signet_account_get_imap_security (SignetAccount *self)
{
  return get_security (self, "imap-security");
}

char *
signet_account_get_imap_user (SignetAccount *self)
{
  return get_string (self, "imap-user");
}

/* Empty: the folder the server marks \Sent, else "Sent" (the IMAP code
 * decides; this is only the setting). */
char *
signet_account_get_imap_sent_folder (SignetAccount *self)
{
  return get_string (self, "imap-sent-folder");
}

/* No SMTP server: mail is delivered to local mailboxes. */
gboolean
signet_account_is_local (SignetAccount *self)
{
  g_autofree char *host = get_string (self, "smtp-host");

  return host == NULL || *host == '\0';
}

const char *
signet_account_security_to_string (SignetAccountSecurity security)
{
  switch (security)
    {
    case SIGNET_ACCOUNT_SECURITY_TLS:
      return "tls";
    case SIGNET_ACCOUNT_SECURITY_STARTTLS:
      return "starttls";
    case SIGNET_ACCOUNT_SECURITY_NONE:
      return "none";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
signet_account_security_from_string (const char            *string,
                                     SignetAccountSecurity *security)
{
  static const SignetAccountSecurity all[] = {
    SIGNET_ACCOUNT_SECURITY_TLS, SIGNET_ACCOUNT_SECURITY_STARTTLS, SIGNET_ACCOUNT_SECURITY_NONE,
  };

  for (gsize i = 0; string != NULL && i < G_N_ELEMENTS (all); i++)
    {
      if (g_str_equal (string, signet_account_security_to_string (all[i])))
        {
          if (security != NULL)
            *security = all[i];
          return TRUE;
        }
    }
  return FALSE;
}

/* Validation */

static gboolean
is_valid_label (const char *label)
{
  gsize length = strlen (label);

  if (length == 0 || length > 63 || label[0] == '-' || label[length - 1] == '-')
    return FALSE;
  for (const char *p = label; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-')
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_all_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    {
      if (!g_ascii_isdigit (*s))
        return FALSE;
    }
  return TRUE;
}

/* A DNS host name (internationalized names in their ASCII form), an IPv4
 * or an IPv6 address. Not a URL, not "host:port", no trailing dot. */
gboolean
signet_account_is_valid_host (const char *host)
{
  g_autofree char *ascii = NULL;
  g_auto(GStrv) labels = NULL;
  guint n;

  if (host == NULL || *host == '\0' || !g_utf8_validate (host, -1, NULL))
    return FALSE;
  if (g_hostname_is_ip_address (host))
    return TRUE;
  ascii = g_hostname_to_ascii (host);
  if (ascii == NULL || strlen (ascii) > 253)
    return FALSE;
  labels = g_strsplit (ascii, ".", -1);
  n = g_strv_length (labels);
  for (guint i = 0; i < n; i++)
    {
      if (!is_valid_label (labels[i]))
        return FALSE;
    }
  /* "999.1.1.1" is neither an address nor a name (no top-level domain is
   * all digits). */
  return !is_all_digits (labels[n - 1]);
}

/* localhost, 127.0.0.0/8 or ::1: traffic that never leaves this computer. */
gboolean
signet_account_is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
check_port (SignetAccountProtocol protocol, guint port, GError **error)
{
  if (port >= 1 && port <= MAX_PORT)
    return TRUE;
  g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_PORT,
               /* Translators: the first %s is SMTP or IMAP */
               _("The %s port %u is not valid: use a port from 1 to 65535."),
               protocols[protocol].display, port);
  return FALSE;
}

gboolean
signet_account_check_server (SignetAccountProtocol  protocol,
                             const char            *host,
                             guint                  port,
                             SignetAccountSecurity  security,
                             GError               **error)
{
  const char *name;

  g_return_val_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  name = protocols[protocol].display;
  if (host == NULL || *host == '\0')
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_HOST,
                   /* Translators: %s is SMTP or IMAP */
                   _("No %s server is set."), name);
      return FALSE;
    }
  if (!signet_account_is_valid_host (host))
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_HOST,
                   /* Translators: the first %s is SMTP or IMAP, the second what the user typed */
                   _("The %s server name “%s” is not valid: enter a host name or an IP address."),
                   name, host);
      return FALSE;
    }
  if (!check_port (protocol, port, error))
    return FALSE;
  if (security == SIGNET_ACCOUNT_SECURITY_NONE && !signet_account_is_loopback_host (host))
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INSECURE,
                   /* Translators: the first %s is SMTP or IMAP, the second a host name */
                   _("The %s server “%s” is not on this computer, so the connection to it must be encrypted: choose TLS or STARTTLS."),
                   name, host);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_protocol (SignetAccount *self, SignetAccountProtocol protocol, GError **error)
{
  const ProtocolKeys *keys = &protocols[protocol];
  g_autofree char *host = g_settings_get_string (self->settings, keys->host_key);

  return signet_account_check_server (protocol, host,
                                      g_settings_get_uint (self->settings, keys->port_key),
                                      get_security (self, keys->security_key), error);
}

/* Whether the settings can be used for delivery: the SMTP server unless
 * delivery is local, the IMAP server (and its user name) when one is set. */
gboolean
signet_account_validate (SignetAccount *self,
                         GError       **error)
{
  g_autofree char *imap_host = NULL;
  g_autofree char *imap_user = NULL;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), FALSE);

  if (!signet_account_is_local (self) && !check_protocol (self, SIGNET_ACCOUNT_PROTOCOL_SMTP, error))
    return FALSE;
  imap_host = signet_account_get_imap_host (self);
  if (*imap_host == '\0')
    return TRUE;
  if (!check_protocol (self, SIGNET_ACCOUNT_PROTOCOL_IMAP, error))
    return FALSE;
  imap_user = signet_account_get_imap_user (self);
  if (*imap_user == '\0')
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_USER,
                   /* Translators: %s is SMTP or IMAP */
                   _("No user name is set for the %s server."), "IMAP");
      return FALSE;
    }
  return TRUE;
}

/* Trusted certificates: "host:port=sha256//BASE64", the hash of the
 * certificate's public key (curl's pinned public key form). */

/* "sha256//" and the canonical Base64 form of exactly 32 bytes. */
gboolean
signet_account_is_valid_pin (const char *pin)
{
  g_autofree guchar *hash = NULL;
  g_autofree char *again = NULL;
  const char *encoded;
  gsize length = 0;

  if (pin == NULL || !g_str_has_prefix (pin, PIN_PREFIX))
    return FALSE;
  encoded = pin + strlen (PIN_PREFIX);
  if (strlen (encoded) != 44)
    return FALSE;
  /* g_base64_decode() skips what it does not know; the round trip below
   * catches that only if the input is plain ASCII to begin with. */
  for (const char *p = encoded; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
        return FALSE;
    }
  hash = g_base64_decode (encoded, &length);
  if (length != 32)
    return FALSE;
  again = g_base64_encode (hash, length);
  return g_str_equal (again, encoded);
}

static gboolean
parse_port (const char *text, guint *port)
{
  guint64 value = 0;

  if (!is_all_digits (text) || strlen (text) > 5)
    return FALSE;
  value = g_ascii_strtoull (text, NULL, 10);
  if (value < 1 || value > MAX_PORT)
    return FALSE;
  *port = (guint) value;
  return TRUE;
}

typedef struct {
  char  *host;
  guint  port;
  char  *pin;
} PinEntry;

static void
pin_entry_clear (PinEntry *entry)
{
  g_clear_pointer (&entry->host, g_free);
  g_clear_pointer (&entry->pin, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PinEntry, pin_entry_clear)

/* Lenient about spaces and about brackets around an IPv6 address; strict
 * about everything else. */
static gboolean
parse_pin_entry (const char *text, PinEntry *entry)
{
  g_autofree char *copy = g_strdup (text);
  char *equals = strchr (copy, '=');
  char *colon;
  char *host;
  gsize length;

  if (equals == NULL)
    return FALSE;
  *equals = '\0';
  colon = strrchr (copy, ':');
  if (colon == NULL)
    return FALSE;
  *colon = '\0';
  host = g_strstrip (copy);
  length = strlen (host);
  if (length > 2 && host[0] == '[' && host[length - 1] == ']' && strchr (host, ':') != NULL)
    {
      host[length - 1] = '\0';
      host++;
    }
  if (!signet_account_is_valid_host (host)
      || !parse_port (g_strstrip (colon + 1), &entry->port)
      || !signet_account_is_valid_pin (g_strstrip (equals + 1)))
    return FALSE;
  entry->host = g_strdup (host);
  entry->pin = g_strdup (g_strstrip (equals + 1));
  return TRUE;
}

static gboolean
same_host (const char *a, const char *b)
{
  g_autoptr(GInetAddress) address_a = g_inet_address_new_from_string (a);
  g_autoptr(GInetAddress) address_b = g_inet_address_new_from_string (b);

  if (address_a != NULL && address_b != NULL)
    return g_inet_address_equal (address_a, address_b);
  return g_ascii_strcasecmp (a, b) == 0;
}

static gboolean
entry_is_for (const char *text, const char *host, guint port)
{
  g_auto(PinEntry) entry = { NULL };

  return parse_pin_entry (text, &entry) && entry.port == port && same_host (entry.host, host);
}

/* Returns: (transfer full) (nullable): the pin ("sha256//...") trusted for
 * @host:@port. Malformed entries are ignored, with a warning. */
char *
signet_account_lookup_trusted_certificate (SignetAccount *self,
                                           const char    *host,
                                           guint          port)
{
  g_auto(GStrv) entries = NULL;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  entries = g_settings_get_strv (self->settings, "trusted-certificates");
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(PinEntry) entry = { NULL };

      if (!parse_pin_entry (entries[i], &entry))
        {
          g_warning ("Ignoring the malformed trusted certificate entry “%s”", entries[i]);
          continue;
        }
      if (entry.port == port && same_host (entry.host, host))
        return g_steal_pointer (&entry.pin);
    }
  return NULL;
}

/* Entries for other servers, and malformed ones, are kept as they are. */
static GPtrArray *
entries_without (SignetAccount *self, const char *host, guint port, gboolean *removed)
{
  g_auto(GStrv) entries = g_settings_get_strv (self->settings, "trusted-certificates");
  GPtrArray *kept = g_ptr_array_new_with_free_func (g_free);

  *removed = FALSE;
  for (guint i = 0; entries[i] != NULL; i++)
    {
      if (entry_is_for (entries[i], host, port))
        *removed = TRUE;
      else
        g_ptr_array_add (kept, g_strdup (entries[i]));
    }
  return kept;
}

static void
set_entries (SignetAccount *self, GPtrArray *entries)
{
  g_ptr_array_add (entries, NULL);
  g_settings_set_strv (self->settings, "trusted-certificates", (const char *const *) entries->pdata);
}

/* Trusts @pin for @host:@port, replacing the pin trusted for it before. */
gboolean
signet_account_add_trusted_certificate (SignetAccount *self,
                                        const char    *host,
                                        guint          port,
                                        const char    *pin,
                                        GError       **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  gboolean replaced;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!signet_account_is_valid_host (host))
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_HOST,
                   /* Translators: %s is what the user typed */
                   _("“%s” is not a valid server name."), host != NULL ? host : "");
      return FALSE;
    }
  if (port < 1 || port > MAX_PORT)
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_PORT,
                   _("The port %u is not valid: use a port from 1 to 65535."), port);
      return FALSE;
    }
  if (!signet_account_is_valid_pin (pin))
    {
      g_set_error_literal (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_PIN,
                           _("The certificate’s fingerprint is not a SHA-256 hash."));
      return FALSE;
    }
  entries = entries_without (self, host, port, &replaced);
  if (strchr (host, ':') != NULL)
    g_ptr_array_add (entries, g_strdup_printf ("[%s]:%u=%s", host, port, pin));
  else
    g_ptr_array_add (entries, g_strdup_printf ("%s:%u=%s", host, port, pin));
  set_entries (self, entries);
  return TRUE;
}

/* Returns: whether a certificate was trusted for @host:@port. */
gboolean
signet_account_remove_trusted_certificate (SignetAccount *self,
                                           const char    *host,
                                           guint          port)
{
  g_autoptr(GPtrArray) entries = NULL;
  gboolean removed;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  entries = entries_without (self, host, port, &removed);
  if (removed)
    set_entries (self, entries);
  return removed;
}

/* Passwords */

static void
login_clear (Login *login)
{
  g_clear_pointer (&login->host, g_free);
  g_clear_pointer (&login->user, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Login, login_clear)

static void
read_login (SignetAccount *self, SignetAccountProtocol protocol, Login *login)
{
  const ProtocolKeys *keys = &protocols[protocol];

  login->protocol = protocol;
  login->host = g_settings_get_string (self->settings, keys->host_key);
  login->port = g_settings_get_uint (self->settings, keys->port_key);
  login->user = g_settings_get_string (self->settings, keys->user_key);
}

/* Whether there is a server and a user to ask the keyring about. */
static gboolean
check_login (const Login *login, GError **error)
{
  SignetAccountProtocol protocol = login->protocol;

  if (*login->host == '\0')
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_HOST,
                   /* Translators: %s is SMTP or IMAP */
                   _("No %s server is set."), protocols[protocol].display);
      return FALSE;
    }
  if (*login->user == '\0')
    {
      g_set_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_USER,
                   /* Translators: %s is SMTP or IMAP */
                   _("No user name is set for the %s server."), protocols[protocol].display);
      return FALSE;
    }
  /* The keyring's port attribute is a signed 32-bit number. */
  return check_port (protocol, login->port, error);
}

static gboolean
get_login (SignetAccount *self, SignetAccountProtocol protocol, Login *login, GError **error)
{
  read_login (self, protocol, login);
  return check_login (login, error);
}

/* Passwords are stored under the standard network-password schema (so
 * Seahorse shows them; libsecret's SECRET_SCHEMA_COMPAT_NETWORK), and
 * found whether or not they name it: one stored with `secret-tool store
 * protocol smtp server … port … user …` does not. */
#define NETWORK_SCHEMA(flags) \
  { \
    "org.gnome.keyring.NetworkPassword", flags, \
    { \
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING }, \
      { "domain", SECRET_SCHEMA_ATTRIBUTE_STRING }, \
      { "object", SECRET_SCHEMA_ATTRIBUTE_STRING }, \
      { "protocol", SECRET_SCHEMA_ATTRIBUTE_STRING }, \
      { "port", SECRET_SCHEMA_ATTRIBUTE_INTEGER }, \
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING }, \
      { "authtype", SECRET_SCHEMA_ATTRIBUTE_STRING }, \
      { NULL, 0 }, \
    }, \
  }

static const SecretSchema *
store_schema (void)
{
  static const SecretSchema schema = NETWORK_SCHEMA (SECRET_SCHEMA_NONE);

  return &schema;
}

static const SecretSchema *
lookup_schema (void)
{
  static const SecretSchema schema = NETWORK_SCHEMA (SECRET_SCHEMA_DONT_MATCH_NAME);

  return &schema;
}

static GHashTable *
login_attributes (const Login *login)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_insert (attributes, g_strdup ("protocol"), g_strdup (protocols[login->protocol].name));
  g_hash_table_insert (attributes, g_strdup ("server"), g_strdup (login->host));
  g_hash_table_insert (attributes, g_strdup ("port"), g_strdup_printf ("%u", login->port));
  g_hash_table_insert (attributes, g_strdup ("user"), g_strdup (login->user));
  return attributes;
}

static char *
login_label (const Login *login)
{
  /* The name the keyring (Seahorse) shows for the password. */
  if (login->protocol == SIGNET_ACCOUNT_PROTOCOL_IMAP)
    /* Translators: %s@%s is user@host */
    return g_strdup_printf (_("Signet: IMAP password for %s@%s"), login->user, login->host);
  /* Translators: %s@%s is user@host */
  return g_strdup_printf (_("Signet: SMTP password for %s@%s"), login->user, login->host);
}

static char *
session_key (const Login *login)
{
  return g_strdup_printf ("%s\n%s\n%u\n%s", protocols[login->protocol].name, login->host,
                          login->port, login->user);
}

/* A task for @protocol's password, and who it belongs to in @login; %NULL
 * when there is no server or no user name to ask about (the task has
 * returned that error). */
static GTask *
login_task_new (SignetAccount        *self,
                SignetAccountProtocol protocol,
                Login                *login,
                gpointer              source_tag,
                GCancellable         *cancellable,
                GAsyncReadyCallback   callback,
                gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  if (get_login (self, protocol, login, &error))
    return g_steal_pointer (&task);
  g_task_return_error (task, error);
  return NULL;
}

/* The session bus or the service on it is missing (or will not start). */
static gboolean
is_unavailable (const GError *error)
{
  if (error->domain == G_DBUS_ERROR)
    {
      switch (error->code)
        {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        case G_DBUS_ERROR_NO_SERVER:
        case G_DBUS_ERROR_DISCONNECTED:
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FORK_FAILED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_SPAWN_SETUP_FAILED:
        case G_DBUS_ERROR_SPAWN_CONFIG_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
        case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
        case G_DBUS_ERROR_SPAWN_FILE_INVALID:
        case G_DBUS_ERROR_SPAWN_NO_MEMORY:
          return TRUE;
        default:
          return FALSE;
        }
    }
  /* Replies from the service come as D-Bus errors; a plain I/O error means
   * the bus itself could not be reached (no address, no socket). */
  return error->domain == G_IO_ERROR && error->code != G_IO_ERROR_DBUS_ERROR;
}

typedef enum {
  KEYRING_STORE,
  KEYRING_LOOKUP,
  KEYRING_CLEAR,
} KeyringOperation;

/* Takes @error; returns what the caller should see. */
static GError *
keyring_error (KeyringOperation operation, GError *error)
{
  GError *mapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  g_debug ("Secret Service: %s", error->message);
  if (is_unavailable (error))
    mapped = g_error_new_literal (SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE,
                                  _("No keyring (Secret Service) is available to keep passwords. A password can be kept for this session only."));
  else if (operation == KEYRING_STORE)
    mapped = g_error_new (SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_SECRET_SERVICE,
                          _("The password could not be saved in the keyring: %s"), error->message);
  else if (operation == KEYRING_LOOKUP)
    mapped = g_error_new (SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_SECRET_SERVICE,
                          _("The password could not be read from the keyring: %s"), error->message);
  else
    mapped = g_error_new (SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_SECRET_SERVICE,
                          _("The password could not be removed from the keyring: %s"), error->message);
  g_error_free (error);
  return mapped;
}

/* Frees a password from signet_account_lookup_password_finish(), wiping it
 * first. */
void
signet_account_password_free (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

static void
return_password (GTask *task, const char *password, gsize length)
{
  g_task_return_pointer (task, password != NULL ? g_strndup (password, length) : NULL,
                         (GDestroyNotify) signet_account_password_free);
}

/* A copy of the password given for this session, if any. */
static char *
session_password (SignetAccount *self, const char *key)
{
  SecretValue *value;
  char *password = NULL;

  g_mutex_lock (&self->lock);
  value = g_hash_table_lookup (self->session, key);
  if (value != NULL)
    {
      gsize length = 0;
      const char *text = secret_value_get (value, &length);

      password = g_strndup (text, length);
    }
  g_mutex_unlock (&self->lock);
  return password;
}

/* What a store needs across its two steps. */
typedef struct {
  char        *key;         /* session_key () */
  GHashTable  *attributes;
  char        *label;
  SecretValue *value;       /* the password, in non-pageable memory */
} StoreData;

static void
store_data_free (StoreData *data)
{
  g_free (data->key);
  g_clear_pointer (&data->attributes, g_hash_table_unref);
  g_free (data->label);
  g_clear_pointer (&data->value, secret_value_unref);
  g_free (data);
}

static void
on_password_stored (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignetAccount *self = g_task_get_source_object (task);
  StoreData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_task_return_error (task, keyring_error (KEYRING_STORE, error));
      return;
    }
  /* A password given for this session only must not hide the saved one. */
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->session, data->key);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

/* Every earlier password of the login is gone, Signet's own and one stored
 * by another program (secret-tool) without the schema's name: only the
 * new one can be found. */
static void
on_replaced_cleared (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  StoreData *data = g_task_get_task_data (task);
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, keyring_error (KEYRING_STORE, error));
      g_object_unref (task);
      return;
    }
  secret_password_storev_binary (store_schema (), data->attributes, SECRET_COLLECTION_DEFAULT,
                                 data->label, data->value, g_task_get_cancellable (task),
                                 on_password_stored, task);
}

/* Saves @password in the default keyring for the server, port and user
 * currently set for @protocol. Fails with
 * %SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE when no keyring answers. */
void
signet_account_store_password_async (SignetAccount        *self,
                                     SignetAccountProtocol protocol,
                                     const char           *password,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_auto(Login) login = { 0 };
  StoreData *data;

  g_return_if_fail (SIGNET_IS_ACCOUNT (self));
  g_return_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP);
  g_return_if_fail (password != NULL);

  task = login_task_new (self, protocol, &login, signet_account_store_password_async,
                         cancellable, callback, user_data);
  if (task == NULL)
    return;
  data = g_new0 (StoreData, 1);
  data->key = session_key (&login);
  data->attributes = login_attributes (&login);
  data->label = login_label (&login);
  /* Copied into non-pageable memory right away. */
  data->value = secret_value_new (password, -1, "text/plain");
  g_task_set_task_data (task, data, (GDestroyNotify) store_data_free);
  g_debug ("saving the %s password for %s@%s:%u", protocols[protocol].display,
           login.user, login.host, login.port);
  secret_password_clearv (lookup_schema (), data->attributes, cancellable,
                          on_replaced_cleared, g_steal_pointer (&task));
}

gboolean
signet_account_store_password_finish (SignetAccount *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_password_found (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, keyring_error (KEYRING_LOOKUP, error));
      return;
    }
  return_password (task, password, password != NULL ? strlen (password) : 0);
  secret_password_free (password);
}

/* Looks up the password for the server, port and user currently set for
 * @protocol: the one given for this session if any, else the keyring's.
 * The result is %NULL (without an error) when there is none. */
void
signet_account_lookup_password_async (SignetAccount        *self,
                                      SignetAccountProtocol protocol,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *key = NULL;
  g_auto(Login) login = { 0 };
  char *password;

  g_return_if_fail (SIGNET_IS_ACCOUNT (self));
  g_return_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP);

  task = login_task_new (self, protocol, &login, signet_account_lookup_password_async,
                         cancellable, callback, user_data);
  if (task == NULL)
    return;
  key = session_key (&login);
  if ((password = session_password (self, key)) != NULL)
    {
      g_task_return_pointer (task, password, (GDestroyNotify) signet_account_password_free);
      return;
    }
  attributes = login_attributes (&login);
  secret_password_lookupv (lookup_schema (), attributes, cancellable,
                           on_password_found, g_steal_pointer (&task));
}

/* Returns: (transfer full) (nullable): the password, to be freed with
 * signet_account_password_free(); %NULL without an error when none is
 * known. */
char *
signet_account_lookup_password_finish (SignetAccount *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_password_cleared (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, keyring_error (KEYRING_CLEAR, error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* Forgets the password for the server, port and user currently set for
 * @protocol: the session's at once, then the keyring's. Succeeds when there
 * was none; fails with %SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE when no
 * keyring answers (the session's is forgotten all the same). */
void
signet_account_clear_password_async (SignetAccount        *self,
                                     SignetAccountProtocol protocol,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *key = NULL;
  g_auto(Login) login = { 0 };

  g_return_if_fail (SIGNET_IS_ACCOUNT (self));
  g_return_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP);

  task = login_task_new (self, protocol, &login, signet_account_clear_password_async,
                         cancellable, callback, user_data);
  if (task == NULL)
    return;
  key = session_key (&login);
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->session, key);
  g_mutex_unlock (&self->lock);
  attributes = login_attributes (&login);
  secret_password_clearv (lookup_schema (), attributes, cancellable,
                          on_password_cleared, g_steal_pointer (&task));
}

gboolean
signet_account_clear_password_finish (SignetAccount *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Keeps @password in memory only, for the server, port and user currently
 * set for @protocol, until the account is freed; lookups return it before
 * asking the keyring. %NULL forgets it. For when no keyring is available
 * (%SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE) or the user does not want the
 * password saved. */
void
signet_account_set_session_password (SignetAccount        *self,
                                     SignetAccountProtocol protocol,
                                     const char           *password)
{
  g_auto(Login) login = { 0 };
  g_autofree char *key = NULL;

  g_return_if_fail (SIGNET_IS_ACCOUNT (self));
  g_return_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP);

  read_login (self, protocol, &login);
  key = session_key (&login);
  g_mutex_lock (&self->lock);
  if (password == NULL)
    g_hash_table_remove (self->session, key);
  else
    /* secret_value_new() copies into non-pageable memory that is wiped when
     * freed. */
    g_hash_table_replace (self->session, g_steal_pointer (&key),
                          secret_value_new (password, -1, "text/plain"));
  g_mutex_unlock (&self->lock);
}

/* The same lookup as signet_account_lookup_password_async(), for a worker
 * thread (a delivery's SignetPasswordFunc): the settings as they were last
 * seen in the main thread, the session's password under the lock, then the
 * keyring, waited for. Returns: (transfer full) (nullable): the password,
 * to be wiped and freed (signet_account_password_free()); NULL without an
 * error when none is known. */
char *
signet_account_lookup_password_sync (SignetAccount         *self,
                                     SignetAccountProtocol  protocol,
                                     GCancellable          *cancellable,
                                     GError               **error)
{
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  guint port;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->lock);
  host = g_strdup (self->logins[protocol].host);
  port = self->logins[protocol].port;
  user = g_strdup (self->logins[protocol].user);
  g_mutex_unlock (&self->lock);
  return signet_account_lookup_password_for_sync (self, protocol, host, port, user, cancellable, error);
}

/* The password of one login, whatever the settings say now: what a
 * delivery that started before they changed asks for, so that the server
 * it talks to only ever gets its own password. */
char *
signet_account_lookup_password_for_sync (SignetAccount         *self,
                                         SignetAccountProtocol  protocol,
                                         const char            *host,
                                         guint                  port,
                                         const char            *user,
                                         GCancellable          *cancellable,
                                         GError               **error)
{
  g_auto(Login) login = { 0 };
  g_autofree char *key = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  GError *local_error = NULL;
  char *found;
  char *password;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  login.protocol = protocol;
  login.host = g_strdup (host != NULL ? host : "");
  login.port = port;
  login.user = g_strdup (user != NULL ? user : "");
  if (!check_login (&login, error))
    return NULL;
  key = session_key (&login);
  if ((password = session_password (self, key)) != NULL)
    return password;
  attributes = login_attributes (&login);
  found = secret_password_lookupv_sync (lookup_schema (), attributes, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, keyring_error (KEYRING_LOOKUP, local_error));
      return NULL;
    }
  password = g_strdup (found);
  secret_password_free (found);
  return password;
}

/* The bare address of the "identity" setting ("Name <address>"), as the
 * settings were last seen in the main thread; NULL when it is empty or
 * not one address. */
char *
signet_account_dup_identity_address (SignetAccount *self)
{
  g_autofree char *identity = NULL;
  g_autoptr(SignetAddress) address = NULL;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (self), NULL);

  g_mutex_lock (&self->lock);
  identity = g_strdup (self->identity);
  g_mutex_unlock (&self->lock);
  if (identity == NULL || *identity == '\0')
    return NULL;
  address = signet_address_parse (identity, NULL);
  return address != NULL ? g_strdup (address->email) : NULL;
}
