import { ApiProperty } from '@nestjs/swagger';
import type { MfaState } from './mfa.service.js';

export class MfaStatusResponse {
  @ApiProperty({
    enum: ['none', 'pending', 'active'],
    description: 'none: no second factor; pending: enrolment begun, not confirmed; active: confirmed',
  })
  state!: MfaState;

  @ApiProperty({ type: 'integer', description: 'Unused recovery codes (0 unless active)', example: 10 })
  recoveryCodesLeft!: number;

  @ApiProperty({ description: 'true while wrong codes have locked second-factor checks' })
  locked!: boolean;
}
