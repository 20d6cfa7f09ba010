//! The virtual IP camera: an RTSP server, in-process, that streams a pre-rendered H.264 game in
//! real time the way a rink camera would. The video passes through without re-encoding, so
//! serving costs almost no CPU; every client sees the same live stream. Nothing but the video
//! travels: the truth stays in its file.

use std::path::Path;
use std::thread::JoinHandle;

use gstreamer as gst;
use gstreamer::glib;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::prelude::*;

/// Why the camera could not start.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("GStreamer is not usable: {0}")]
    Init(String),
    #[error("video {0} does not exist")]
    MissingVideo(String),
    #[error("cannot start the RTSP server on {address}:{port}: {detail}")]
    Bind {
        address: String,
        port: u16,
        detail: String,
    },
}

/// A running virtual camera; stopped when dropped.
#[derive(Debug)]
pub struct VirtualCamera {
    url: String,
    main_loop: glib::MainLoop,
    thread: Option<JoinHandle<()>>,
}

impl VirtualCamera {
    /// Serves `video` (an MP4 with H.264) at `rtsp://ADDRESS:PORT/MOUNT`; port 0 picks a free
    /// port.
    pub fn serve(video: &Path, address: &str, port: u16, mount: &str) -> Result<Self, CameraError> {
        gst::init().map_err(|e| CameraError::Init(e.to_string()))?;
        if !video.is_file() {
            return Err(CameraError::MissingVideo(video.display().to_string()));
        }
        let bind = |detail: String| CameraError::Bind {
            address: address.to_owned(),
            port,
            detail,
        };
        let location = video
            .to_string_lossy()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        let context = glib::MainContext::new();
        let server = rtsp::RTSPServer::new();
        server.set_address(address);
        server.set_service(&port.to_string());
        let factory = rtsp::RTSPMediaFactory::new();
        factory.set_launch(&format!(
            "( filesrc location=\"{location}\" ! qtdemux ! h264parse config-interval=-1 \
               ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        ));
        // Every client joins the same stream, like viewers of one physical camera.
        factory.set_shared(true);
        let mounts = server
            .mount_points()
            .ok_or_else(|| bind("the server has no mount points".into()))?;
        let mount = format!("/{}", mount.trim_start_matches('/'));
        mounts.add_factory(&mount, factory);
        let source_id = server
            .attach(Some(&context))
            .map_err(|e| bind(e.to_string()))?;
        let bound = server.bound_port();
        let main_loop = glib::MainLoop::new(Some(&context), false);
        let runner = main_loop.clone();
        let thread = std::thread::Builder::new()
            .name("rtsp-camera".into())
            .spawn(move || {
                // The server lives on this thread's context until the loop is quit; then every
                // client is disconnected, as when a real camera goes off the network.
                let _source = source_id;
                runner.run();
                server.client_filter(Some(&mut |_, _| rtsp::RTSPFilterResult::Remove));
            })
            .map_err(|e| bind(e.to_string()))?;
        Ok(Self {
            url: format!("rtsp://{address}:{bound}{mount}"),
            main_loop,
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Blocks until the server stops (for the command-line camera).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for VirtualCamera {
    fn drop(&mut self) {
        self.main_loop.quit();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
