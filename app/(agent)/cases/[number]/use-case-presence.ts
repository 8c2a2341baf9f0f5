'use client';
// The browser's end of the collision notice (server/realtime/presence.ts): joins the case on every
// (re)connect of the page's socket, keeps the latest list of who is here, lets each "typing" lapse by
// itself when no newer word comes, and reports this agent's own typing (at most every TYPING_RESEND_MS
// while keys are pressed, "stopped" after TYPING_IDLE_MS without one).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CasePresence, CaseViewer } from '@/server/services/case-presence';
import { acquireSocket, releaseSocket } from '../../../realtime';

export type ComposerMode = 'reply' | 'note';

const TYPING_RESEND_MS = 3_000;
const TYPING_IDLE_MS = 5_000;

export function useCasePresence(caseId: string) {
  const [viewers, setViewers] = useState<CaseViewer[]>([]);
  const [, setTick] = useState(0);
  const socketRef = useRef<ReturnType<typeof acquireSocket> | null>(null);
  const typingRef = useRef<{ mode: ComposerMode | null; sentAt: number; idle: ReturnType<typeof setTimeout> | null }>({ mode: null, sentAt: 0, idle: null });
  const receivedAt = useRef(0);

  useEffect(() => {
    const socket = acquireSocket();
    socketRef.current = socket;
    const join = () => socket.emit('presence.join', caseId);
    const onPresence = (presence: CasePresence) => {
      if (presence.caseId !== caseId) return;
      receivedAt.current = Date.now();
      setViewers(presence.viewers);
    };
    socket.on('connect', join);
    socket.on('presence', onPresence);
    if (socket.connected) join();
    const typing = typingRef.current;
    return () => {
      if (typing.idle) clearTimeout(typing.idle);
      socket.emit('presence.leave', caseId);
      socket.off('connect', join);
      socket.off('presence', onPresence);
      socketRef.current = null;
      releaseSocket(socket);
    };
  }, [caseId]);

  // A colleague's "typing" ends when its time is up, even if no further event comes.
  useEffect(() => {
    const left = viewers.filter((v) => v.typing).map((v) => v.typingMsLeft);
    if (left.length === 0) return;
    const timer = setTimeout(() => setTick((n) => n + 1), Math.min(...left) + 50);
    return () => clearTimeout(timer);
  }, [viewers]);

  const stillTyping = (v: CaseViewer) => v.typing !== null && Date.now() - receivedAt.current < v.typingMsLeft;

  const reportTyping = useCallback(
    (mode: ComposerMode | null) => {
      const socket = socketRef.current;
      const state = typingRef.current;
      if (!socket) return;
      if (state.idle) clearTimeout(state.idle);
      state.idle = null;
      const now = Date.now();
      if (mode === null) {
        if (state.mode !== null) socket.emit('presence.typing', { caseId, mode: null });
        state.mode = null;
        return;
      }
      if (state.mode !== mode || now - state.sentAt >= TYPING_RESEND_MS) {
        socket.emit('presence.typing', { caseId, mode });
        state.sentAt = now;
      }
      state.mode = mode;
      state.idle = setTimeout(() => {
        socket.emit('presence.typing', { caseId, mode: null });
        state.mode = null;
      }, TYPING_IDLE_MS);
    },
    [caseId],
  );

  return { viewers: viewers.map((v) => (stillTyping(v) ? v : { ...v, typing: null })), reportTyping };
}
