/** The text of `viewcast serve --help`: every flag with its default (options.ts parses them). */
import { PG_HELP } from '../pgwire/pg-options.js';
import { DEFAULT_USER_AGENT } from '../sources/user-agent.js';
import { WIKIMEDIA_URL } from '../sources/wikimedia.js';

export const SERVE_HELP = `Usage: viewcast serve [flags]

Streams live SQL views to web browsers at http://HOST:PORT.

Flags (default in brackets):
  --source SPEC        where events come from; may be repeated [auto]
                         auto            the live Wikimedia stream if it answers within
                                         --auto-timeout, else simulate; the log says which and why
                         wikimedia       the live Wikimedia EventStreams recentchange stream
                         simulate        built-in generator of realistic edits (--rate, --seed)
                         replay:FILE     a recording: JSON lines or raw SSE text, optionally
                                         gzipped (--speed, --loop)
                         file:FILE       follow a file another program appends SSE to
                                         (curl -N URL >> FILE); survives truncation and rotation
                         ingest          only POST /api/ingest (needs --ingest-token)
                         postgres://USER:PASS@HOST:PORT/DB
                                         the tables the views file declares, by logical
                                         replication (docs/POSTGRES.md)
  --pg-publication NAME  publication for a postgres:// source; created if missing [viewcast]
  --pg-slot NAME       replication slot for a postgres:// source; created if missing [viewcast]
  --speed N|max        replay pace as a factor of the recorded pace, or max [1]
  --loop               replay forever, with fresh event ids on every pass
  --retime             replayed events take the time they are replayed at (timestamp and
                       meta.dt), so windowed views see a recording as live [off]
  --tick MS            with no events, the engine's timestamp still advances every MS; windows
                       close on ticks; 0 never [1000]
  --wikimedia-url URL  the live stream [${WIKIMEDIA_URL}]
  --user-agent TEXT    User-Agent sent to Wikimedia, which refuses clients without a
                       descriptive one: name/version (URL or e-mail); "" sends Node's bare "node"
                       [${DEFAULT_USER_AGENT}]
  --read-timeout S     seconds without a byte before a live connection counts as stalled [30]
  --reconnect-delay S  first wait before reconnecting, in seconds; doubles (with jitter) on each
                       failed attempt up to 60 s; 429 and 5xx wait as Retry-After says [1]
  --auto-timeout S     how long auto waits for the live stream to answer, in seconds [5]
  --ingest-token T     turn on POST /api/ingest; requests must send "Authorization: Bearer T"
  --ingest-max-bytes N largest POST /api/ingest body, in bytes [10485760]
  --rate N             simulator events per second [40]
  --seed N             simulator seed, for a repeatable stream [1]
  --views FILE         SQL views file [views/wikirecent.sql]
  --data-dir DIR       where the engine keeps its state [./data]
  --memory             keep the engine's state in memory only (nothing survives a restart)
  --sync-commits       put each transaction on the disk (fdatasync) before publishing it, so
                       that not even a power cut takes back a change a client saw (about 0.2-0.3
                       ms of CPU per transaction more). Without it a transaction is written
                       before it is published (a crashed or killed viewcast loses nothing) and
                       put on the disk within about a second (a power cut may lose that second;
                       the sources then resume from before it, nothing is counted twice)
  --retain DURATION    keep received events (compressed, every field) in the data directory
                       this long, so that views added or changed later are computed from
                       them: 24h, 7d, 90m, all, or 0 (keep none); not with --memory [7d]
  --port N             HTTP port; 0 picks a free one [8875]
  --host ADDR          address to listen on [127.0.0.1]
  --pg-port N          Postgres-wire SUBSCRIBE port; 0 turns it off [6875]
  --pg-password PW     password for Postgres-wire clients (also VIEWCAST_PG_PASSWORD);
                         without one only clients on this machine may connect
${PG_HELP}  --engine ENGINE      embedded, or a remote engine to serve the views of (Materialize or another
                         viewcast): postgres://user@host:port/db[?views=a,b] [embedded]
  --pglite-only        run every view on PGlite instead of the delta operators (to compare the
                         two paths; slower)
  --batch-size N       most events in one engine transaction [1000]
  --batch-ms N         longest wait before a transaction closes, in ms (none after a quiet spell) [2]

Clients (WebSocket, SSE; see docs/PROTOCOL.md):
  --allow-origin URL   a page origin allowed to open streams; may be repeated; * allows any
                       [only the server's own origin]
  --auth-token TOKEN   require this token on /api/* and /metrics (Authorization: Bearer, or
                       ?token=); also read from VIEWCAST_AUTH_TOKEN [none]
  --allow-browser-queries  accept ad-hoc queries over the views on /api/subscribe
                       ({"type":"subscribe","query":"SELECT ..."}); see README's security note [off]
  --max-connections N  most open WebSocket and SSE connections [1000]
  --max-subscriptions N  most views per socket or stream [64]
  --max-message-bytes N  largest client message; larger ones close the socket (1009) [16384]
  --client-buffer-bytes N  unsent bytes per client before its batches are merged [1048576]
  --retention-batches N  recent batches kept per view for resuming clients [1000]
  --retention-bytes N  encoded bytes kept per view for resuming clients [1048576]
  --progress-ms N      least interval between progress messages to an idle client [1000]
  --heartbeat-ms N     WebSocket ping and SSE keep-alive interval [15000]
  --log-format FORMAT  text, or json: one JSON object per line on stderr [text]
  -h, --help           this help
`;
