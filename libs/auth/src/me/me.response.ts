import { ApiProperty } from '@nestjs/swagger';
import { Scope, type PrincipalType } from '@orderops/access';

/** The calling principal as its token establishes it: ids and scopes, no personal data. */
export class MeResponse {
  @ApiProperty({
    example: '3f2c1a9e-8d4b-4c7a-9e1f-2b3c4d5e6f70',
    description: 'operator id (uuid) or client id (ptn_...)',
  })
  id!: string;

  @ApiProperty({
    enum: ['operator', 'client'],
    description: 'a person (operator) or a partner system (client)',
  })
  kind!: PrincipalType;

  @ApiProperty({ example: 'ptn_4Yq0mXo2b1VtZ8sR', description: 'the OAuth client the token was issued to' })
  clientId!: string;

  @ApiProperty({ enum: Object.values(Scope), isArray: true, description: 'the scopes the token carries' })
  scopes!: string[];
}
