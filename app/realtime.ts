'use client';
// The browser's end of live updates: one Socket.IO connection per page (same origin, the session
// cookie rides along; the server refuses sockets without a valid session). Pages pass what to do
// with an event and how to catch up: every (re)connect calls `onResync`, because events sent while
// the socket was down, or before it first connected, are not replayed.
import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { CaseEvent } from '@/server/realtime/events';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

// One connection per page, shared by every hook that needs it (case events, presence); closed when the
// last of them lets go.
let shared: { socket: Socket; holders: number } | null = null;

export function acquireSocket(): Socket {
  shared ??= { socket: io({ path: '/socket.io', withCredentials: true }), holders: 0 };
  shared.holders += 1;
  return shared.socket;
}

export function releaseSocket(socket: Socket): void {
  if (shared?.socket !== socket) return;
  shared.holders -= 1;
  if (shared.holders === 0) {
    socket.close();
    shared = null;
  }
}

export type CaseEventHandlers = {
  onEvent: (event: CaseEvent) => void;
  onResync: () => void;
};

export function useCaseEvents(handlers: CaseEventHandlers): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  // The socket lives as long as the page; the handlers may change with every render.
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  useEffect(() => {
    const socket = acquireSocket();
    const deliver = (event: CaseEvent) => latest.current.onEvent(event);
    const connected = () => {
      setStatus('live');
      latest.current.onResync();
    };
    // The server closes a socket whose session ended (sign-out elsewhere, deactivation…); Socket.IO
    // does not reconnect it, so say so instead of "reconnecting".
    const disconnected = (reason: Socket.DisconnectReason) => setStatus(reason === 'io server disconnect' ? 'signed-out' : 'reconnecting');
    const refused = (err: Error) => {
      // A refused session is final (Socket.IO does not retry it); anything else is retried.
      setStatus(err.message === 'unauthorized' ? 'signed-out' : 'reconnecting');
    };
    socket.on('connect', connected);
    socket.on('disconnect', disconnected);
    socket.on('connect_error', refused);
    socket.on('case.created', deliver);
    socket.on('case.updated', deliver);
    // Another hook on this page may have connected the shared socket already.
    if (socket.connected) connected();
    return () => {
      socket.off('connect', connected);
      socket.off('disconnect', disconnected);
      socket.off('connect_error', refused);
      socket.off('case.created', deliver);
      socket.off('case.updated', deliver);
      releaseSocket(socket);
    };
  }, []);

  return status;
}
