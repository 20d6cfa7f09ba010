//! Device provisioning against a real Mosquitto and the private PostgreSQL: a provisioned device
//! logs in with its one-time token, may publish only under its own `bs/v1/{tenant}/{device}/`
//! prefix (the generated ACL), and once revoked is refused by the broker.

// Test helpers outside test functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use benchsight_cloud::db::{create_tenant, provision_database};
use benchsight_cloud::provision::{broker_acl, create_device, device_token_valid, revoke_device};
use benchsight_core::ids::{DeviceId, TenantId};
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
    let token = runtime.block_on(async {
        create_tenant(&db, &league, "League").await.unwrap();
        let token = create_device(&db, &league, &rink1, &passwords)
            .await
            .unwrap();
        create_device(&db, &league, &rink2, &passwords)
            .await
            .unwrap();
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

    // Revoked: the login goes with the next reload, and the token stops being valid.
    runtime
        .block_on(revoke_device(&db, &league, &rink1, &passwords))
        .unwrap();
    broker.reload();
    std::thread::sleep(Duration::from_millis(300));
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
}
