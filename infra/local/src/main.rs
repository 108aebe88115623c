//! `local-gateway`: the whole system on a laptop.
//!
//! ```text
//! local-gateway serve [--port 3000]       every function's router on 127.0.0.1
//! local-gateway token <role> [<subject>]  a bearer token for a role (customer, agent, ...)
//! local-gateway create-table              the table from infra/template.yaml, if missing
//! local-gateway check-storefronts <file>  a storefronts list, checked as the functions read it
//! local-gateway openapi                   the published OpenAPI document (`make openapi`)
//! ```
//!
//! Reads `DYNAMODB_ENDPOINT` (default `http://127.0.0.1:8000`), `TABLE_NAME` (default
//! `aftersales`), `DEV_SECRET_FILE` (default `.local/dev-secret`, made on first use), the
//! storefronts from `STOREFRONTS` or `STOREFRONTS_FILE` and the cursor key from `CURSOR_KEY` or
//! `CURSOR_KEY_FILE` (see `aftersales::config`).

use std::net::SocketAddr;
use std::path::PathBuf;

use aftersales::domain::identity::Role;
use aftersales::store::Store;
use local_gateway::auth::DevAuth;
use local_gateway::gateway::Stack;
use local_gateway::schema;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The signing secret of development tokens: random on first use, kept so that tokens
/// survive a restart.
fn dev_auth() -> Result<DevAuth, String> {
    let path = PathBuf::from(env_or("DEV_SECRET_FILE", ".local/dev-secret"));
    if let Ok(secret) = std::fs::read(&path)
        && secret.len() >= 32
    {
        return Ok(DevAuth::new(secret));
    }
    let mut secret = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut secret))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, &hex).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(DevAuth::new(hex.into_bytes()))
}

fn client() -> aws_sdk_dynamodb::Client {
    schema::dynamodb_local_client(&env_or("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"))
}

#[tokio::main]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("local-gateway: {message}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let table = env_or("TABLE_NAME", "aftersales");
    match args.first().map(String::as_str).unwrap_or("serve") {
        "token" => {
            let role: Role = args
                .get(1)
                .ok_or("usage: local-gateway token <role> [<subject>]")?
                .parse()?;
            let default_sub = format!("{role}-1");
            let sub = args.get(2).cloned().unwrap_or(default_sub);
            println!("{}", dev_auth()?.token(&sub, role, None, 12));
            Ok(())
        }
        "openapi" => {
            print!("{}", local_gateway::gateway::openapi_json());
            Ok(())
        }
        "check-storefronts" => {
            let path = args
                .get(1)
                .ok_or("usage: local-gateway check-storefronts <file>")?;
            let json = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            let storefronts = aftersales::webhooks::config::Storefronts::parse(&json)?;
            println!("{path}: {}", storefronts.describe());
            Ok(())
        }
        "create-table" => {
            let created = schema::ensure_table(&client(), &table).await?;
            println!(
                "table {table}: {}",
                if created { "created" } else { "already there" }
            );
            Ok(())
        }
        "serve" => {
            let port: u16 = match args.iter().position(|a| a == "--port") {
                Some(i) => args
                    .get(i + 1)
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port needs a number")?,
                None => env_or("PORT", "3000")
                    .parse()
                    .map_err(|_| "PORT must be a number")?,
            };
            {
                use tracing_subscriber::layer::SubscriberExt;
                use tracing_subscriber::util::SubscriberInitExt;
                tracing_subscriber::registry()
                    .with(tracing_subscriber::fmt::layer())
                    .with(aftersales::config::log_filter())
                    .init();
            }
            let client = client();
            if schema::ensure_table(&client, &table).await? {
                tracing::info!(table, "created the table from infra/template.yaml");
            }
            let storefronts = aftersales::config::storefronts(None).await?;
            let cursor_key = aftersales::config::cursor_key(None).await?;
            let stack = Stack::new(Store::new(client, table, cursor_key), storefronts);
            let every: u64 = env_or("TIMERS_EVERY_SECONDS", "5")
                .parse()
                .map_err(|_| "TIMERS_EVERY_SECONDS must be a number")?;
            stack.spawn_timers(std::time::Duration::from_secs(every.max(1)));
            let app = stack.router(dev_auth()?);
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                format!("cannot listen on {addr}: {e} (is another gateway running?)")
            })?;
            tracing::info!("serving every function on http://{addr}");
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| e.to_string())
        }
        other => Err(format!(
            "unknown command '{other}': use serve, token, create-table, check-storefronts or openapi"
        )),
    }
}
