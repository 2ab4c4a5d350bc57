/**
 * Whether the import destination takes writes, checked at start and every
 * 30 s with a probe, so readiness can say so before an import finds out: it
 * must take a write, and a disk must have `minFreeBytes` free (a probe of a few
 * bytes passes on a disk too full for the next video). Each change is logged
 * once, naming the destination and the reason.
 */
import type { Logger } from 'pino';
import type { Destination } from '../../domain/ports.ts';
import { destinationUnavailable } from './storage-errors.ts';

const mib = (bytes: number) => Math.floor(bytes / (1024 * 1024));

export class DestinationWatch {
  readonly #destination: Destination;
  readonly #logger: Logger;
  readonly #onChange: (writable: boolean) => void;
  readonly #minFreeBytes: number;
  #writable: boolean | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<boolean> | undefined;

  constructor(destination: Destination, logger: Logger, onChange: (writable: boolean) => void = () => {}, options: { minFreeBytes?: number } = {}) {
    this.#destination = destination;
    this.#logger = logger;
    this.#onChange = onChange;
    this.#minFreeBytes = options.minFreeBytes ?? 0;
  }

  /** False until the first check has passed. */
  get writable(): boolean {
    return this.#writable === true;
  }

  /** Checks now and then every `everyMs`; answers the first check's outcome. */
  start(everyMs = 30_000): Promise<boolean> {
    this.#timer ??= setInterval(() => void this.check(), everyMs).unref();
    return this.check();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One probe (joined by callers who ask while it runs). */
  check(): Promise<boolean> {
    this.#checking ??= this.#probe().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #probe(): Promise<boolean> {
    const description = this.#destination.description;
    try {
      await this.#destination.check();
      const room = await this.#destination.room();
      if (room !== undefined && room < this.#minFreeBytes) {
        throw destinationUnavailable(description, `ENOSPC (${mib(room)} MiB free, IMPORT_MIN_FREE_MB asks for ${mib(this.#minFreeBytes)})`, undefined);
      }
      if (this.#writable !== true) this.#logger.info({ destination: description }, 'import destination is writable');
      this.#set(true);
    } catch (error) {
      if (this.#writable !== false) {
        this.#logger.error({ destination: description, reason: error instanceof Error ? error.message : String(error) }, 'import destination refuses writes: not ready');
      }
      this.#set(false);
    }
    return this.writable;
  }

  #set(writable: boolean): void {
    if (this.#writable !== writable) this.#onChange(writable);
    this.#writable = writable;
  }
}
