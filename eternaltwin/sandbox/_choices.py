"""Every behaviour the sandbox had to *choose*, in one place.

The defaults are eternaltwin.org's as far as the spec knows them (its section 11 corrects earlier
habits); three options (``ServerOptions``) depart from them for what a client kit needs to test:
``token_lifetime``, ``refresh_tokens`` and ``habits="2021"``. Each is described where it acts below.

The API notes (``/work/shared/eternaltwin-api.md``, "the spec" below) mark some behaviours of the real
server as unconfirmed **[U]** and suggest a choice in their section 10. Each constant here is such a
choice (or a sandbox-only knob), with a comment naming the spec section it answers. Change a behaviour
here, not in the handlers.
"""

from __future__ import annotations

from typing import Final

# --------------------------------------------------------------------------------------------------
# Error replies
# --------------------------------------------------------------------------------------------------

# §1.1, §1.2, §10: 2021 answers 500 for a bad Bearer token or bad Basic credentials; the newer reply is
# [U]. We answer 401 {"error": "Unauthorized"} (with a WWW-Authenticate header), as §10 suggests; with
# the 2021 habits (`habits="2021"`), Koa's text/plain 500 "Internal Server Error" instead (§11.7).
UNAUTHORIZED_STATUS: Final = 401
UNAUTHORIZED_ERROR: Final = "Unauthorized"

# §4.2, §10: a wrong password or an unknown login on PUT /api/v1/auth/self is 500 in 2021 and [U] newer.
# We answer 401 with one code for both, so the reply does not say whether the login exists.
INVALID_CREDENTIALS_STATUS: Final = 401
INVALID_CREDENTIALS_ERROR: Final = "InvalidCredentials"

# §1.2: 2021 uses 422 InvalidRequestBody for bodies it can parse but not accept (PATCH users, clock).
# We use it for every malformed body too (bad JSON, not an object, wrong field types), instead of 500.
INVALID_REQUEST_BODY_STATUS: Final = 422
INVALID_REQUEST_BODY_ERROR: Final = "InvalidRequestBody"

# §1.2 (forum/announcements): 422 InvalidQueryParameters for bad offset/limit; reused for user search.
INVALID_QUERY_STATUS: Final = 422
INVALID_QUERY_ERROR: Final = "InvalidQueryParameters"

# §1.2: an uncaught exception is Koa's text/plain 500. We keep the status but answer JSON, never a
# traceback; the traceback goes to the "eternaltwin.sandbox" logger only.
INTERNAL_ERROR_STATUS: Final = 500
INTERNAL_ERROR_ERROR: Final = "InternalServerError"

# §1 (bodies are parsed by koa-bodyparser, whose own defaults refuse JSON over 1 MB and forms over 56 KB
# with 413 [I: library defaults, not in the spec]). The sandbox refuses any request body over 64 KiB with
# 413 {"error": "PayloadTooLarge", "message": ...}, as soon as that many bytes have arrived (or at once,
# from Content-Length), whatever the framing; its largest real body (a login: 100-char login and
# 512 hex digits of password) is under 1 KiB. See ``_limits``.
MAX_BODY_BYTES: Final = 64 * 1024
PAYLOAD_TOO_LARGE_STATUS: Final = 413
PAYLOAD_TOO_LARGE_ERROR: Final = "PayloadTooLarge"

# No spec: unmatched routes and methods. JSON like every other error.
NOT_FOUND_ERROR: Final = "NotFound"
METHOD_NOT_ALLOWED_ERROR: Final = "MethodNotAllowed"

# §1.2, §4.8, §11.2: archive paths with an unknown server or a non-numeric/out-of-range id are a warp path
# rejection: 404 with an empty body, as the real server answers (the one error that is not JSON).
ARCHIVE_BAD_PATH_STATUS: Final = 404

# §4.2: PUT auth/self with method Dinoparc/Hammerfest/Twinoid needs the real game sites (2021: 500 for
# Twinoid, network login for the others). The sandbox answers 501 with this code.
AUTH_METHOD_NOT_SUPPORTED_STATUS: Final = 501
AUTH_METHOD_NOT_SUPPORTED_ERROR: Final = "UnsupportedAuthMethod"

# §4.3: a taken username is 500 ("Conflict: UsernameAlreadyInUse") in 2021. We answer 409 with that name.
USERNAME_CONFLICT_STATUS: Final = 409
USERNAME_CONFLICT_ERROR: Final = "UsernameAlreadyInUse"

# §4.3: registration through an email token needs a mailer; the sandbox has none. 422 with this code.
EMAIL_REGISTRATION_ERROR: Final = "EmailRegistrationNotSupported"

# --------------------------------------------------------------------------------------------------
# OAuth (§5)
# --------------------------------------------------------------------------------------------------

# §5.2, §10: every authorize failure other than "guest needs login" is 500 in 2021; newer is [U].
# We answer JSON errors and never redirect an error to the client (the 2021 code has no `?error=`).
# Checks run in the §5.2 order: client_id, redirect_uri, response_type, scope, then the session.
AUTHORIZE_INVALID_CLIENT_ID: Final = (422, "InvalidClientId")  # missing, or neither a key nor a UUID
AUTHORIZE_CLIENT_NOT_FOUND: Final = (404, "OauthClientNotFound")
AUTHORIZE_REDIRECT_URI_MISMATCH: Final = (400, "RedirectUriMismatch")
AUTHORIZE_INVALID_RESPONSE_TYPE: Final = (422, "InvalidResponseType")  # missing or unknown
AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE: Final = (400, "UnsupportedResponseType")  # `token`
AUTHORIZE_INVALID_SCOPE: Final = (400, "InvalidScope")
# §5.2 step 5: only a User context (session cookie or Basic user credentials) may authorize; an access
# token or client credentials get 403.
AUTHORIZE_NOT_A_USER: Final = (403, "Forbidden")

# §5.2, §10: success is a 302 to the callback with `code` then `state` (state only when given).
AUTHORIZE_REDIRECT_STATUS: Final = 302
# §5.2: a guest is sent to the login page with a 302 to /login?next=<path and query>.
LOGIN_REDIRECT_STATUS: Final = 302
# After a successful form login the browser goes on to `next` with 303 See Other (POST -> GET).
LOGIN_CONTINUE_STATUS: Final = 303

# The sandbox's defaults are eternaltwin.org's as far as its source shows (§11.1). What the kit needs to
# test beyond them is an option (``ServerOptions``: `token_lifetime`, `refresh_tokens`, `habits`; on the
# command line, `Sandbox(...)` or a `[sandbox]` TOML table), never a default.

# §5.3, §10: codes are opaque random strings (not 2021's JWTs, which clients never read), bound to client
# and user, valid 10 minutes on the virtual clock.
CODE_LIFETIME_SECONDS: Final = 600
CODE_BYTES: Final = 32  # secrets.token_urlsafe(CODE_BYTES)
# §5.3, §11.1 [I]: nothing records a code's use in 2021, so it can be redeemed again while it lasts, each
# time for a new access token. The sandbox does the same by default: that is what eternaltwin.org does as
# far as the spec knows, and RFC 6749 §4.1.2's single use (with revocation on replay) is then left to the
# `refresh_tokens` option, which brings RFC 6749's lifecycle whole: single-use codes, and a second
# redemption refused (400 AuthorizationCodeAlreadyUsed) and revoking every token the first one granted.

# §3.7, §5.4, §11.1: the access token is a v4 UUID valid 1,000,000,000 s (`expires_in`). The sandbox
# checks expiry (2021 does not, §5.6): it only matters with a shorter `token_lifetime` option (1 s to
# this value), which exists to test a client's handling of expired tokens.
ACCESS_TOKEN_LIFETIME_SECONDS: Final = 1_000_000_000
# §3.7, §11.1: 2021 issues no refresh token and has no refresh grant; "remember me" and automatic
# refresh are only testable with the `refresh_tokens` option. With it: an opaque random refresh token
# with every access token, rotated on use (the refresh grant returns a new one and the old one stops
# working; a rotated one presented again revokes its whole chain, RFC 6749 §10.4), and access tokens
# valid 3600 s unless `token_lifetime` says otherwise (what the sandbox issued before §11 was known).
REFRESH_MODE_ACCESS_TOKEN_LIFETIME_SECONDS: Final = 3600
REFRESH_TOKEN_BYTES: Final = 32
REFRESH_TOKEN_LIFETIME_SECONDS: Final = 30 * 24 * 3600

# §5.4, §11.1: the token endpoint authenticates the client by HTTP Basic only and reads only `code`
# (`grant_type` and `redirect_uri` are not checked). Same here by default; without Basic credentials the
# 401 says so (TOKEN_BASIC_ONLY_MESSAGE). A body with no code whose grant_type is `refresh_token` gets
# 400 UnsupportedGrantType with TOKEN_NO_REFRESH_MESSAGE instead of the bare 422, since a client that
# sends it has misread the server (grant_type is read for that message only).
TOKEN_BASIC_ONLY_MESSAGE: Final = (
    "authenticate the OAuth client with HTTP Basic (client_id:client_secret); this server does not read "
    "client credentials from the body"
)
TOKEN_NO_REFRESH_MESSAGE: Final = (
    "this server issues no refresh token and has no refresh grant, like eternaltwin.org: send the person "
    "through authorization again (start the sandbox with refresh_tokens=True to test refreshing)"
)
# With the `refresh_tokens` option, RFC 6749's endpoint: `grant_type` is read (`authorization_code` and
# `refresh_token`; absent means `authorization_code`, for 2021 clients; anything else is 400
# UnsupportedGrantType), a given `redirect_uri` must be the registered one (RFC 6749 §4.1.3), and the
# client may also authenticate with `client_id`/`client_secret` in the body (RFC 6749 §2.3.1).
DEFAULT_GRANT_TYPE: Final = "authorization_code"
TOKEN_UNSUPPORTED_GRANT_TYPE: Final = (400, "UnsupportedGrantType")
# §5.4, §10: code failures are 500 in 2021. We use 400 with one code per cause, so a developer can tell
# them apart. A code presented by another client is refused and NOT consumed (the right client may
# still redeem it). Bad or missing client credentials: 401 Unauthorized (see UNAUTHORIZED_*).
TOKEN_MISSING_CODE: Final = (422, INVALID_REQUEST_BODY_ERROR)
TOKEN_CODE_NOT_FOUND: Final = (400, "AuthorizationCodeNotFound")
TOKEN_CODE_EXPIRED: Final = (400, "AuthorizationCodeExpired")
TOKEN_CODE_ALREADY_USED: Final = (400, "AuthorizationCodeAlreadyUsed")  # single-use codes only
TOKEN_CODE_CLIENT_MISMATCH: Final = (400, "AuthorizationCodeClientMismatch")
# Unknown, rotated away (its chain then revoked), revoked, or of another client:
TOKEN_REFRESH_NOT_FOUND: Final = (400, "RefreshTokenNotFound")
TOKEN_REFRESH_EXPIRED: Final = (400, "RefreshTokenExpired")

# §5.2, §6, §11.1: 2021 grants `base` only; newer games ask for `forum:write`. The sandbox grants both:
# `scope` is absent (meaning `base`), or space-separated names from this set (blanks ignored); any other
# name is refused (400 InvalidScope, see AUTHORIZE_INVALID_SCOPE). No route checks scopes.
ALLOWED_SCOPES: Final = frozenset({"base", "forum:write"})

# --------------------------------------------------------------------------------------------------
# Sessions (§1.1, §4.2)
# --------------------------------------------------------------------------------------------------

SESSION_COOKIE: Final = "sid"

# No spec (the 2021 login is an Angular page posting to the API). The sandbox's HTML form (`/login`) takes
# no post that a browser says comes from another site (login CSRF): `Sec-Fetch-Site` must be one of these,
# or, where a browser sends no `Sec-Fetch-Site`, `Origin` must name this server. The refusal is 403 with the
# form again and this message, and no session.
LOGIN_ALLOWED_FETCH_SITES: Final = frozenset({"same-origin", "none"})
LOGIN_CROSS_SITE_STATUS: Final = 403
LOGIN_CROSS_SITE_MESSAGE: Final = (
    "This sign-in was sent from another site and was refused: sign in on this page."
)
# No spec: every HTML page (login form included) forbids framing by other pages (clickjacking), with both
# the old header and CSP, and is never cached.
HTML_HEADERS: Final = (
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
)
# §4.2: 2021 sets `sid; path=/; httponly` (Koa defaults). We add SameSite=Lax (what browsers assume
# anyway), so the cookie still rides on the top-level redirect back from the login page.
SESSION_COOKIE_SAMESITE: Final = "lax"
# §4.2 [U] newer: DELETE auth/self does not revoke the session in 2021 [I]. We revoke it server-side
# as well as clearing the cookie, so a replayed `sid` is a Guest.
REVOKE_SESSION_ON_LOGOUT: Final = True
# §1.1: sessions never expire in 2021 [I: the memory store has no time check], and the lookup refreshes
# their `atime`. The sandbox ends a session after 30 days without use (each use restarts the count, as
# `atime` would), so that a long-running sandbox drops what nobody uses (issue 12, item 15); expired
# sessions, codes and tokens are dropped at the next write (``Store.purge_expired``, amortised).
SESSION_IDLE_SECONDS: Final = 30 * 24 * 3600

# --------------------------------------------------------------------------------------------------
# Users and search (§3.2, §3.3, §3.8, §6, §8, §10)
# --------------------------------------------------------------------------------------------------

# §8 [U]: the newer server anticipates `deleted_at`. Every user view (default and complete) carries
# `deleted_at` (null or a timestamp) right after `created_at`.
USER_VIEW_FIELDS: Final = (
    "type",
    "id",
    "created_at",
    "deleted_at",
    "display_name",
    "is_administrator",
    "links",
)
# §3.3: the complete view (self or administrator) adds these, in this order.
COMPLETE_USER_EXTRA_FIELDS: Final = ("username", "email_address", "has_password")
# §3.8, §10 [U]: the fields of each item of a search page: the default view (with `deleted_at`).
# A sub-tuple of USER_VIEW_FIELDS; edit this one line to change the item shape. With the 2021 habits a
# page is `{count, items}` with ShortUser items (§3.1): the fewest members a server is known to send
# (§3.8: P reads only `id` and `display_name`, and the echo of `offset`/`limit` is [U]).
SEARCH_ITEM_FIELDS: Final = USER_VIEW_FIELDS

# §3.8, §9.1, §10 [U]: `q` is stripped and matched case-insensitively (str.casefold) as a substring of
# the username or of the display name. Empty `q` matches everyone.
# Order: display name (casefolded), then display name (exact), then id; kept pre-sorted in the store.
# Deleted users are included (their `deleted_at` is set), so clients can see and filter them.
SEARCH_DEFAULT_LIMIT: Final = 20  # §10: P's default
SEARCH_MAX_LIMIT: Final = 100  # §4.9: listings cap items at 100
SEARCH_MAX_OFFSET: Final = 2**31 - 1  # no spec; large enough to page any population
# `limit=0` is allowed (count only, §6). Values must be plain decimal digits: negative, signed, empty,
# repeated, non-numeric or above the maximum -> 422 InvalidQueryParameters.
SEARCH_INCLUDES_DELETED: Final = True

# §4.3, §10: the first user ever created is an administrator, later ones are not, unless a seed says
# otherwise (`is_administrator` in [seed.user.NAME]).
FIRST_USER_IS_ADMINISTRATOR: Final = True
# §7.2, §10 [U]: a seed user's display name defaults to its username.

# §4.3: registering logs the new user in (sets `sid`) and replies with the default view.

# A deleted user cannot log in (401 InvalidCredentials), and its sessions and access tokens are Guest /
# 401 Unauthorized. No spec: deletion is a sandbox-only state (population).

# --------------------------------------------------------------------------------------------------
# Authentication on API routes (§1.1, §4.8)
# --------------------------------------------------------------------------------------------------

# §4.8, §11.2: the archive routes (Hammerfest, Dinoparc; the sandbox's Twinoid one too), the clock and
# the config do not authenticate: a bad Bearer token there changes nothing. So does `GET /api/v1/` [I:
# its 2021 handler reads no credentials]. Every other /api/v1 route authenticates (§1.1): a bad Bearer
# token or bad Basic credentials are 401 {"error": "Unauthorized"} (see UNAUTHORIZED_*), or, with the
# 2021 habits, Koa's plain-text 500 (§1.1, §11.7).
# §1.1: a Bearer token never falls back to the cookie; an unknown scheme is ignored.
# The 2021 habits stop there and at search pages (SEARCH_ITEM_FIELDS): a wrong login password, the token
# endpoint's and authorize's errors stay the JSON replies above (2021 answers 500 to each, §1.2), since the
# kit's end-to-end tests need to tell them apart and no client is known to rely on those 500s.

# --------------------------------------------------------------------------------------------------
# Secrets and hashing
# --------------------------------------------------------------------------------------------------

# §5.1: the real server stores scrypt hashes. The sandbox uses PBKDF2-HMAC-SHA256 with few rounds and a
# random salt, checked with hmac.compare_digest: not for production, fast to start.
PASSWORD_HASH_ALGORITHM: Final = "sha256"
PASSWORD_HASH_ITERATIONS: Final = 1000
PASSWORD_SALT_BYTES: Final = 16
# No spec: every check of a password or a client secret costs exactly one hash, whether the login or
# client exists, is deleted, or keeps its password in plain text (generated users), so that the time of
# a reply does not tell which logins exist (``_secrets.spend_one_hash``).

# --------------------------------------------------------------------------------------------------
# Archives (§3.9, §4.8, §11.3)
# --------------------------------------------------------------------------------------------------

# §11.3 says Hammerfest's `profile` and `items` are "versioned the same way" as Dinoparc's members; the
# source it cites (`StoredHammerfestProfile`/`StoredHammerfestItems` in E:crates/core/src/hammerfest.rs at
# 1241847, and the fixtures under E:test-resources/core/hammerfest/) has them as the plain objects of §3.9
# ({first_archived_at, last_archived_at, best_score, best_level, game_completed, items, quests} and
# {first_archived_at, last_archived_at, items}), or null. The sandbox follows the source.
# No spec: a generated dinoz's id is its owner's id * 10 + its rank (1 to 3), so that each reference in a
# Dinoparc user's `dinoz` list leads to `GET /api/v1/archive/dinoparc/{server}/dinoz/{id}`; its details are
# drawn from the owner's seed. Other ids are 404 DinoparcDinozNotFound.
DINOZ_IDS_PER_OWNER: Final = 10

# --------------------------------------------------------------------------------------------------
# Seeds, demo data and population
# --------------------------------------------------------------------------------------------------

# No spec: with no config, one demo app and three demo users (alice is an administrator). With a
# config, its [seed.app.*] and [seed.user.*] replace these; if it has no app, the demo app is added so
# that connection_config() always has one. `redirect_uri=` overrides the callback of the first app.
DEMO_APP_NAME: Final = "demo_app"
DEMO_APP_DISPLAY_NAME: Final = "Demo App"
DEMO_APP_URI: Final = "http://localhost:8000/"
DEMO_APP_CALLBACK: Final = "http://localhost:8000/oauth/callback"
DEMO_APP_SECRET: Final = "dev_secret"
# (username, password, display name, is administrator)
DEMO_USERS: Final = (
    ("alice", "alice_password", "Alice", True),
    ("bob", "bob_password", "Bob", False),
    ("charlie", "charlie_password", "Charlie", False),
)

# No spec: generated users (`--population N`). Deterministic: one random.Random seeded with this
# constant, so the first k users of population N are the same for every N >= k.
POPULATION_SEED: Final = "eternaltwin-sandbox-population-v1"
POPULATION_ADMIN_RATE: Final = 0.01
POPULATION_DELETED_RATE: Final = 0.05
POPULATION_LINKED_RATE: Final = 0.30
POPULATION_NO_USERNAME_RATE: Final = 0.02  # §3.3: accounts made through a game have no username
POPULATION_FIRST_YEAR: Final = 2010
POPULATION_LAST_YEAR: Final = 2026  # creation dates fall in [2010-01-01, 2026-01-01)
# A generated user with a username can log in with its username as password (handy for demos).
POPULATION_PASSWORD_IS_USERNAME: Final = True

# §4.7: GET /api/v1/config in 2021 (values of the default config).
FORUM_THREADS_PER_PAGE: Final = 20
FORUM_POSTS_PER_PAGE: Final = 10

# --------------------------------------------------------------------------------------------------
# Forum and announcements (§4.9, §11.5, §11.6)
# --------------------------------------------------------------------------------------------------

# §4.9: offset and limit of the forum and announcement listings are unsigned 16-bit integers; anything
# else (negative, signed, not decimal, repeated, above 65535) is 422 InvalidQueryParameters.
FORUM_MAX_QUERY_VALUE: Final = 65535
# §11.5: the listing types declare at most 100 items, which 2021 does not enforce when it writes a reply.
# The sandbox serves at most this many items and echoes the limit as it was asked (like 2021).
FORUM_MAX_LISTED_ITEMS: Final = 100
# §11.5: a section or thread is named by a lowercase UUID or a key. 2021's keys are any text, so its
# 422 InvalidSectionIdOrKey / InvalidThreadIdOrKey can hardly happen; the sandbox accepts keys that match
# this pattern (what configuration keys look like) and answers 422 for anything that is neither.
FORUM_KEY_PATTERN: Final = r"[A-Za-z0-9_-]{1,64}"
# §11.5: 2021 lists sections as {"items": [...]}; newer servers as {offset, limit, count, items}. The
# sandbox answers the 2021 shape when False, the paged one when True.
FORUM_SECTIONS_PAGED: Final = False
# §11.5: GET /forum/posts/{id} answers a listing of revisions; the 2021 handler reads no query (it is
# commented out). The sandbox lists them all from offset 0, at most FORUM_MAX_LISTED_ITEMS.
FORUM_POST_REVISIONS_LIMIT: Final = FORUM_MAX_LISTED_ITEMS
# Orders (2021 Postgres store, E:packages/forum-pg/src/lib/index.mts and E:crates/forum_store/src/pg.rs):
# sections by ctime, key, id (seeded sections get increasing ctimes, so they keep their seed order);
# threads of a section by the time of their last post, newest first (then id); posts oldest first.
# §11.6: announcements most recent first (E: AnnouncementService docs), then id.
# §11.6: the 2021 route does not check the id of GET /announcements/{id}: the sandbox answers 404
# AnnouncementNotFound for anything it does not know, a UUID or not.
# §11.5 ForumSectionSelf: an administrator's self.roles is ["Administrator"], a user granted a role in the
# section has it ("Moderator"), everyone else []. The forum routes authenticate like every /api/v1 route.

# §7.2: sections come from [seed.forum_section.KEY] (display_name, locale). Without any, these are seeded:
# one per locale that 2021 knows (E:packages/core/src/lib/core/locale-id.mts: de-DE, en-US, eo, es-SP,
# fr-FR; §11.5 names four of them). (key, display name, locale).
FORUM_DEFAULT_SECTIONS: Final = (
    ("en_main", "Sandbox forum (en-US)", "en-US"),
    ("fr_main", "Forum du bac à sable (fr-FR)", "fr-FR"),
    ("es_main", "Foro del arenero (es-SP)", "es-SP"),
    ("de_main", "Sandkasten-Forum (de-DE)", "de-DE"),
    ("eo_main", "Sablokesta forumo (eo)", "eo"),
)
# §11.5: the locales a section may have (null too).
FORUM_LOCALES: Final = ("de-DE", "en-US", "eo", "es-SP", "fr-FR")
# No spec: when the sections were created (seeded sections are 1 ms apart, in seed order).
FORUM_SECTIONS_CTIME: Final = "2010-01-01T00:00:00.000Z"
# No spec: with the demo users, a few demo threads dated at start-up (en_welcome and fr_welcome, pinned and
# announced; en_rules, pinned and locked; one in es-SP and de-DE), bob moderating en_main (granted by
# alice). Posts are written by UserForumActors; a moderator's note by an anonymous RoleForumActor.
# §11.5: content is {marktwin, html}; the sandbox writes a small Marktwin subset (paragraphs, line breaks,
# **strong**) and renders it with everything else escaped, so its HTML never carries markup from a post.
# §11.6: an announcement's locale is its section's, "en-US" for a section without one (2021's Announcement
# locale is not nullable).

# No spec: generated forum content (`--population N`). Deterministic: one random.Random seeded with this
# constant draws every thread and post, for the same users; content (text, revisions) is drawn from each
# post's own seed when served. N // FORUM_USERS_PER_THREAD threads, spread over the sections by locale,
# opened in [POPULATION_FIRST_YEAR, POPULATION_LAST_YEAR) by users drawn with a skew (a few post a lot).
FORUM_SEED: Final = "eternaltwin-sandbox-forum-v1"
FORUM_USERS_PER_THREAD: Final = 10
FORUM_PINNED_RATE: Final = 0.03
FORUM_LOCKED_RATE: Final = 0.08
FORUM_LONG_THREAD_RATE: Final = 0.02  # threads of more than 100 posts (several pages)
FORUM_EDITED_RATE: Final = 0.10  # posts with more than one revision
FORUM_DELETED_RATE: Final = 0.01  # posts whose last revision removed the text (content null)
FORUM_MODERATED_RATE: Final = 0.01  # posts whose last revision carries a moderator's note
# One announcement per this many generated users (at least one), on generated pinned threads.
FORUM_USERS_PER_ANNOUNCEMENT: Final = 2000
