//! Device provisioning against a real Mosquitto and the private PostgreSQL: a provisioned device
//! logs in with its one-time token, may publish only under its own `bs/v1/{tenant}/{device}/`
//! prefix (the generated ACL), and once revoked is refused by the broker.

// Test helpers outside test functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use benchsight_cloud::audit::Actor;
use benchsight_cloud::db::{create_tenant, provision_database};
use benchsight_cloud::provision::{
    BrokerFiles, broker_acl, create_device, device_token_valid, revoke_device,
};
use benchsight_core::ids::{DeviceId, RinkId, TenantId};
use benchsight_core::topic::Topic;
use benchsight_tests::{Broker, Subscriber, free_port, wait_for};

/// How a device's attempt went.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// Logged in; the publish was acknowledged or the broker dropped the connection over it
    /// (Mosquitto may do either for a publish its ACL denies; either way it reaches no one).
    LoggedIn,
    /// The broker refused the login.
    Refused,
}

/// Logs in as `user` and publishes one message on `topic` (QoS 1).
fn publish_as(port: u16, user: &str, password: &str, topic: &str) -> Attempt {
    let mut options =
        rumqttc::MqttOptions::new(format!("device-{}", free_port()), "127.0.0.1", port);
    options.set_credentials(user, password);
    let (client, mut connection) = rumqttc::Client::new(options, 16);
    let (deadline, mut connected) = (Instant::now() + Duration::from_secs(10), false);
    while Instant::now() < deadline {
        match connection.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_)))) => {
                connected = true;
                client
                    .publish(topic, rumqttc::QoS::AtLeastOnce, false, b"probe".to_vec())
                    .unwrap();
            }
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)))) => {
                return Attempt::LoggedIn;
            }
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(rumqttc::ConnectionError::ConnectionRefused(_))) => return Attempt::Refused,
            Ok(Err(error)) => {
                assert!(connected, "{user}: {error}");
                return Attempt::LoggedIn;
            }
        }
    }
    panic!("no answer from the broker for {user}");
}

#[test]
fn a_device_publishes_only_under_its_own_prefix_and_a_revoked_one_is_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let admin = std::env::var("BENCHSIGHT_TEST_PG_ADMIN_URL")
        .expect("BENCHSIGHT_TEST_PG_ADMIN_URL (run the tests with `make test`)");
    let (_owner, db) = runtime
        .block_on(provision_database(&admin, "bs_test_acl", "bs_test_service"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (passwords, acl) = (dir.path().join("passwd"), dir.path().join("acl"));
    let league = TenantId::parse("league").unwrap();
    let (rink1, rink2) = (
        DeviceId::parse("rink-1").unwrap(),
        DeviceId::parse("rink-2").unwrap(),
    );
    // No broker runs yet: its pid file comes once it does.
    let mut files = BrokerFiles {
        passwords: passwords.clone(),
        pid_file: None,
    };
    let actor = Actor::new("test");
    let token = runtime.block_on(async {
        create_tenant(&db, &league, "League", &actor).await.unwrap();
        let token = create_device(&db, &league, &rink1, None, &files, &actor)
            .await
            .unwrap();
        create_device(&db, &league, &rink2, None, &files, &actor)
            .await
            .unwrap();
        let nowhere = RinkId::parse("nowhere").unwrap();
        let unknown_rink = create_device(&db, &league, &rink2, Some(&nowhere), &files, &actor);
        assert!(unknown_rink.await.is_err(), "a device at an unknown rink");
        token
    });
    assert!(
        runtime
            .block_on(device_token_valid(&db, &league, &rink1, &token))
            .unwrap()
    );
    assert!(
        !runtime
            .block_on(device_token_valid(&db, &league, &rink1, "guess"))
            .unwrap()
    );
    std::fs::write(&acl, broker_acl("benchsight-cloud")).unwrap();
    for file in [&passwords, &acl] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Devices on the first listener; an anonymous observer on a second one sees everything.
    let observer_port = free_port();
    let broker = Broker::start_with(&format!(
        "allow_anonymous false\npassword_file {}\nacl_file {}\n\
         listener {observer_port} 127.0.0.1\nallow_anonymous true\n",
        passwords.display(),
        acl.display()
    ));
    let watcher = Subscriber::connect(observer_port, "bs/v1/#");
    let user = Topic::broker_username(&league, &rink1);
    assert_eq!(user, "league/rink-1");
    let own = "bs/v1/league/rink-1/events".to_owned();
    let neighbour = "bs/v1/league/rink-2/events".to_owned();
    let foreign = "bs/v1/other-league/rink-1/events".to_owned();
    for topic in [&own, &neighbour, &foreign] {
        assert_eq!(
            publish_as(broker.port, &user, &token, topic),
            Attempt::LoggedIn
        );
    }
    wait_for("the device's own message", Duration::from_secs(10), || {
        watcher.seen().iter().any(|m| m.topic == own)
    });
    std::thread::sleep(Duration::from_millis(500));
    let topics: Vec<String> = watcher.seen().into_iter().map(|m| m.topic).collect();
    assert!(
        !topics.contains(&neighbour) && !topics.contains(&foreign),
        "{topics:?}"
    );
    assert_eq!(
        publish_as(broker.port, &user, "guess", &own),
        Attempt::Refused
    );

    // Revoked while connected: the broker is reloaded through its pid file, which drops the
    // connection and refuses the login; the token stops being valid.
    let pid_file = dir.path().join("mosquitto.pid");
    std::fs::write(&pid_file, format!("{}\n", broker.pid().unwrap())).unwrap();
    files.pid_file = Some(pid_file);
    let connected = Connected::new(broker.port, &user, &token);
    assert!(connected.is_up(), "logged in before the revocation");
    runtime
        .block_on(revoke_device(&db, &league, &rink1, &files, &actor))
        .unwrap();
    wait_for(
        "the revoked device to be dropped",
        Duration::from_secs(10),
        || !connected.is_up(),
    );
    assert_eq!(
        publish_as(broker.port, &user, &token, &own),
        Attempt::Refused,
        "revoked"
    );
    assert!(
        !runtime
            .block_on(device_token_valid(&db, &league, &rink1, &token))
            .unwrap()
    );
    let actions: Vec<(String, String, String)> = runtime.block_on(async {
        sqlx::query_as("SELECT actor, action, target FROM audit_log ORDER BY audit_id")
            .fetch_all(&mut *db.tenant(&league).await.unwrap())
            .await
            .unwrap()
    });
    let expected = [
        ("tenant.create", "league"),
        ("device.create", "rink-1"),
        ("device.create", "rink-2"),
        ("device.revoke", "rink-1"),
    ];
    assert_eq!(
        actions
            .iter()
            .map(|(_, a, t)| (a.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(actions.iter().all(|(actor, _, _)| actor == "test"));
}

/// A device session kept open in the background; `is_up` says whether it still is.
struct Connected {
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    _client: rumqttc::Client,
}

impl Connected {
    fn new(port: u16, user: &str, password: &str) -> Self {
        use std::sync::atomic::Ordering::SeqCst;
        let mut options =
            rumqttc::MqttOptions::new(format!("device-{}", free_port()), "127.0.0.1", port);
        options.set_credentials(user, password);
        options.set_keep_alive(Duration::from_secs(30));
        let (client, mut connection) = rumqttc::Client::new(options, 16);
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = up.clone();
        std::thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                        flag.store(true, SeqCst);
                    }
                    Ok(_) => {}
                    Err(_) => {
                        // Dropped or refused: stay down (no reconnecting).
                        flag.store(false, SeqCst);
                        return;
                    }
                }
            }
        });
        wait_for("the device to connect", Duration::from_secs(10), || {
            up.load(SeqCst)
        });
        Self {
            up,
            _client: client,
        }
    }

    fn is_up(&self) -> bool {
        self.up.load(std::sync::atomic::Ordering::SeqCst)
    }
}
