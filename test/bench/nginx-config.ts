/**
 * An nginx.conf for nginx as a plain reverse proxy in front of the backend:
 * the baseline a careful operator would write — upstream keep-alive, HTTP/1.1
 * to the upstream, WebSocket upgrade passed through, no access log.
 *
 * Everything nginx writes (pid, error log, temp files) goes into `dir`, so it
 * runs unprivileged-friendly and leaves nothing behind. `daemon off` and
 * `master_process off` make it one foreground process the runner can kill.
 */

export interface NginxConfigInput {
  /** Temporary folder for pid, logs and temp paths. */
  dir: string
  port: number
  backendPort: number
}

export function renderNginxConfig({ dir, port, backendPort }: NginxConfigInput): string {
  return `daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;

events {
  worker_connections 32768;
}

http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  # Keep 1 MiB bodies in memory: spilling them to temp files would measure the disk.
  proxy_buffers 16 64k;
  proxy_max_temp_file_size 0;

  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      '';
  }

  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 256;
  }

  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 3600s;
    }
  }
}
`
}
