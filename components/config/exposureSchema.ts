import { z } from "zod";
import { DEFAULT_EXPOSURE_SETTINGS, MAX_EXPOSURE_HOURS } from "../exposure/settings";

/**
 * `exposure`: how the exposure report of a compromised key reads its usage (components/exposure). Kept outside
 * `emergency`, which must be removed once the incident is over, so the policy's model list and business hours
 * stay configured. Defaults from the security policy: 48 hours, Sonnet 4.5 only, 08:00–20:00 UTC, 3× baseline.
 */
const timeZone = z.string().refine((tz) => {
    try {
        new Intl.DateTimeFormat("en-GB", { timeZone: tz });
        return true;
    } catch {
        return false;
    }
}, "must be an IANA time zone, e.g. UTC or Europe/Berlin");

const businessHoursSchema = z
    .strictObject({
        start: z.number().int("must be a whole hour").min(0).max(23).default(DEFAULT_EXPOSURE_SETTINGS.businessHours.start),
        end: z.number().int("must be a whole hour").min(1).max(24).default(DEFAULT_EXPOSURE_SETTINGS.businessHours.end),
        timeZone: timeZone.default(DEFAULT_EXPOSURE_SETTINGS.businessHours.timeZone),
    })
    .refine((b) => b.start < b.end, { message: "start must be before end (hours of one day, e.g. start 8, end 20)" });

export const exposureSchema = z
    .strictObject({
        hours: z.number().int("must be a whole number of hours").min(1, "must be at least 1 hour").max(MAX_EXPOSURE_HOURS, `must be at most ${MAX_EXPOSURE_HOURS} hours`).default(DEFAULT_EXPOSURE_SETTINGS.hours),
        allowedModels: z.array(z.string().min(1)).min(1, "must list at least one model").default([...DEFAULT_EXPOSURE_SETTINGS.allowedModels]),
        businessHours: businessHoursSchema.default({ ...DEFAULT_EXPOSURE_SETTINGS.businessHours }),
        spikeFactor: z.number().gt(1, "must be above 1").max(100).default(DEFAULT_EXPOSURE_SETTINGS.spikeFactor),
    })
    .default({
        hours: DEFAULT_EXPOSURE_SETTINGS.hours,
        allowedModels: [...DEFAULT_EXPOSURE_SETTINGS.allowedModels],
        businessHours: { ...DEFAULT_EXPOSURE_SETTINGS.businessHours },
        spikeFactor: DEFAULT_EXPOSURE_SETTINGS.spikeFactor,
    });

export type ExposureConfig = z.output<typeof exposureSchema>;
