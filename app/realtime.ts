'use client';
// The browser's end of live updates: one Socket.IO connection per page (same origin, the session
// cookie rides along; the server refuses sockets without a valid session). Pages pass what to do
// with an event and how to catch up: every (re)connect calls `onResync`, because events sent while
// the socket was down, or before it first connected, are not replayed.
import { useEffect, useRef, useState } from 'react';
import { io } from 'socket.io-client';
import type { CaseEvent } from '@/server/realtime/events';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

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
    const socket = io({ path: '/socket.io', withCredentials: true });
    const deliver = (event: CaseEvent) => latest.current.onEvent(event);
    socket.on('connect', () => {
      setStatus('live');
      latest.current.onResync();
    });
    // The server closes a socket whose session ended (sign-out elsewhere, deactivation…); Socket.IO
    // does not reconnect it, so say so instead of "reconnecting".
    socket.on('disconnect', (reason) => setStatus(reason === 'io server disconnect' ? 'signed-out' : 'reconnecting'));
    socket.on('connect_error', (err) => {
      // A refused session is final (Socket.IO does not retry it); anything else is retried.
      setStatus(err.message === 'unauthorized' ? 'signed-out' : 'reconnecting');
    });
    socket.on('case.created', deliver);
    socket.on('case.updated', deliver);
    return () => {
      socket.close();
    };
  }, []);

  return status;
}
